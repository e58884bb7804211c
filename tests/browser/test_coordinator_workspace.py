"""The coordinators' workspace in Kazakh, in Chromium at a phone's width (390 px):

1. a coordinator imports 50 observers from an XLSX file (preview, then import), sets the
   district's plan, places the observers in bulk and sees the coverage change;
2. a moderator confirms a critical violation report with its photo, and it appears on the
   public station page; a coordinator sends a mobile group to it from the live view; the group
   says it has arrived and sends its report with a photo of its act in the observer app, and
   the coordinator sees both on the task's page.

Every page visited must fit 390 px without horizontal scrolling."""

import io
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from openpyxl import Workbook
from tests.legal.factories import photo, violation
from tests.observers.factories import build_world, unit

from baqylau.mobile.models import Dispatch
from baqylau.moderation.models import IncidentDecision
from baqylau.observers.models import Assignment, Membership, Observer
from baqylau.observers.services import add_membership, create_observer
from baqylau.reports.models import Incident, ViolationType
from baqylau.reports.services import submit_report

PHONE = (390, 844)


def sign_in(page, live_server, user) -> None:
    """The user's session in the browser (the sign-in page itself is tested elsewhere)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def refused(page) -> list[str]:
    """Content-Security-Policy violations Chromium reports on the console (must stay empty)."""
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Refused to" in m.text else None)
    return found


def fits_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"{page.url}: {width}px wide on a {inner}px screen"


def observers_xlsx(n: int) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "phone", "languages", "training", "availability"])
    for i in range(n):
        sheet.append(
            [
                f"Байқаушы {i:02d}",
                f"+7 707 100 {i // 100:02d} {i % 100:02d}",
                "kk,ru",
                "trained",
                "opening,count",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cell(page, testid: str) -> str:
    return page.locator(f"tfoot [data-testid={testid}]").inner_text()


@pytest.mark.django_db(transaction=True)
def test_coordinator_imports_places_and_sees_coverage(live_server, page, screenshot, tmp_path):
    settings.DATA_DIR = tmp_path
    world = build_world()
    district = world.regions["d1"]
    for n in range(10):  # district 0101: stations 237, 238 and ten more
        unit(world.election, district, "station", str(400 + n), registered_voters=900)
    code = world.election.code
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    csp = refused(page)
    sign_in(page, live_server, world.users["coord_a"])

    page.goto(f"{live_server.url}/kk/staff/observers/import/")
    assert page.locator("h1").inner_text() == "Байқаушыларды импорттау"
    fits_phone(page)
    xlsx = tmp_path / "observers.xlsx"
    xlsx.write_bytes(observers_xlsx(50))
    page.set_input_files("input[name=file]", str(xlsx))
    page.click("#preview-import")
    page.wait_for_selector("[data-testid=preview]")
    assert page.locator("[data-testid=preview] tbody tr").count() == 50
    assert Observer.objects.count() == 5  # a preview writes nothing
    fits_phone(page)
    screenshot("preview")
    page.click("#confirm-import")
    page.wait_for_selector("[data-testid=message]")
    assert "50" in page.locator("[data-testid=message]").inner_text()
    assert Observer.objects.filter(organisation=world.orgs["A"]).count() == 3 + 50
    fits_phone(page)

    # one of them: real fields, and an invitation to the bot
    imported = Observer.objects.filter(organisation=world.orgs["A"]).order_by("-pk").first()
    page.goto(f"{live_server.url}/kk/staff/observers/{imported.public_id}/")
    assert page.locator("input[name=name]").input_value().startswith("Байқаушы")
    assert page.locator("input[name=languages][value=kk]").is_checked()
    page.click("text=Байланыстыру кодын беру")
    page.wait_for_selector("[data-testid=link-code]")
    assert "/link " in page.locator("[data-testid=link-code]").inner_text()
    fits_phone(page)

    # the plan: two observers at each station of the district
    page.goto(f"{live_server.url}/kk/staff/e/{code}/targets/")
    fits_phone(page)
    page.select_option("select[name=district]", str(district.pk))
    page.select_option("select[name=observers]", "2")
    page.click("#set-targets")
    page.wait_for_url(re.compile(r"/coverage/"))
    fits_phone(page)
    assert cell(page, "placed").startswith("2 ")  # 237 and 238 have their opening observers
    assert "(17 %)" in cell(page, "placed")  # of 12 planned stations
    assert page.locator("[data-testid=uncovered] li").count() == 12  # none has two yet
    screenshot("coverage-before")

    # the fifty new observers, spread over the district for the opening
    page.goto(f"{live_server.url}/kk/staff/e/{code}/placement/")
    fits_phone(page)
    page.select_option("select[name=shift]", "opening")
    page.select_option("select[name=district]", str(district.pk))
    page.click("button.select-all")
    checked = page.locator("input[name=observers]:checked").count()
    assert checked == 51  # the 50 and L1 (afternoon only); A1 and A2 are placed for the opening
    page.click("#place")
    page.wait_for_selector("[data-testid=message]")
    assert Assignment.objects.filter(shift="opening", station__parent=district).count() == 53
    fits_phone(page)

    page.goto(f"{live_server.url}/kk/staff/e/{code}/coverage/?shift=opening")
    assert cell(page, "placed").startswith("12 ") and "(100 %)" in cell(page, "placed")
    assert cell(page, "on_target").startswith("12 ")
    assert page.locator("[data-testid=no-gaps]").count() == 1
    fits_phone(page)
    screenshot("coverage-after")
    assert csp == []


@pytest.mark.django_db(transaction=True)
def test_moderator_confirms_and_a_mobile_group_reports(live_server, page, screenshot, tmp_path):
    settings.DATA_DIR = tmp_path
    world = build_world()
    code = world.election.code
    station = world.stations["237"]
    violation("stuffing")
    ViolationType.objects.filter(code="stuffing").update(
        severity="critical", name_kk="Бюллетеньдерді заңсыз салу"
    )
    outcome = submit_report(
        kind="incident",
        data={
            "election": code,
            "station": "237",
            "violation": "stuffing",
            "at": "10:15",
            "text": "Комиссия мүшесі жәшікке бір бума бюллетень салды.",
        },
        observer=world.observers["A1"],
        channel="web",
        files=[(photo(3), "ballots.jpg")],
    )
    incident = outcome.record
    User = get_user_model()
    moderator = User.objects.create_user(username="mod", password="x")
    moderator.groups.add(Group.objects.get_or_create(name="moderator")[0])
    rover = create_observer(organisation=world.orgs["A"], name="Жылжымалы заңгер", language="kk")
    member = User.objects.create_user(username="rover", password="x")
    add_membership(
        user=member, organisation=world.orgs["A"], role=Membership.Role.OBSERVER, observer=rover
    )
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    csp = refused(page)

    # the moderator: critical first, the photo shown, confirmed with a reason
    sign_in(page, live_server, moderator)
    page.goto(f"{live_server.url}/kk/moderation/incidents/")
    fits_phone(page)
    page.locator(f"a[href$='/incidents/{incident.pk}/']").click()
    image = page.locator("[data-testid=evidence-photo]")
    image.wait_for()
    assert page.evaluate("(img) => img.naturalWidth", image.element_handle()) > 0
    fits_phone(page)
    screenshot("incident")
    page.check(f"input[name=verdict][value={IncidentDecision.Verdict.CONFIRM}]")
    page.select_option("select[name=reason]", IncidentDecision.Reason.EVIDENCE)
    page.locator("main form[method=post] button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/moderation/incidents/"))
    assert Incident.objects.get(pk=incident.pk).moderation == "accepted"

    # the public station page shows it, with the display copy of its photo
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/kk/e/{code}/u/{station.pk}/")
    article = page.locator(f"#incident-{incident.pk}")
    assert "Бюллетеньдерді заңсыз салу" in article.inner_text()
    public_photo = article.locator("img")
    public_photo.wait_for()
    assert page.evaluate("(img) => img.naturalWidth", public_photo.element_handle()) > 0

    # the coordinator registers a mobile group and sends it from the live view
    sign_in(page, live_server, world.users["coord_a"])
    page.goto(f"{live_server.url}/kk/staff/mobile/")
    fits_phone(page)
    page.fill("input[name=name]", "Алматы-1")
    page.select_option("select[name=area]", str(world.regions["01"].pk))
    page.check(f"input[name=members][value={rover.public_id}]")
    page.check("input[name=lawyer_on_board]")
    page.click("#register-group")
    page.wait_for_selector("[data-testid=message]")
    page.goto(f"{live_server.url}/kk/staff/e/{code}/live/")
    fits_phone(page)
    row = page.locator("tr.critical[data-testid=incident]")
    assert "Бюллетеньдерді заңсыз салу" in row.inner_text()
    row.locator("text=Жылжымалы топ жіберу").click()
    fits_phone(page)
    page.fill("textarea[name=instructions]", "Актіні жасап, суретін жіберіңіз.")
    page.click("#send-group")
    page.wait_for_selector("[data-testid=task-status]")
    task = Dispatch.objects.get()
    assert task.status == "sent" and task.station == station

    # the group, in the observer app: arrived, then its report with the act's photo
    sign_in(page, live_server, member)
    page.goto(f"{live_server.url}/kk/observe/tasks/")
    fits_phone(page)
    assert "№ 237" in page.locator("[data-testid=my-task]").inner_text()
    page.click("#arrived")
    page.wait_for_selector("[data-testid=message]")
    page.fill(
        "textarea[name=text]", "Акт жасалды: комиссия мүшесі бюллетеньдерді салғаны расталды."
    )
    act = tmp_path / "act.jpg"
    act.write_bytes(photo(9))
    page.set_input_files("input[name=act]", str(act))
    page.click("#send-report")
    page.wait_for_selector("[data-testid=message]")
    screenshot("member")

    # the coordinator sees the arrival, the report and the act on the task's page
    sign_in(page, live_server, world.users["coord_a"])
    page.goto(f"{live_server.url}/kk/staff/mobile/tasks/{task.pk}/")
    fits_phone(page)
    task.refresh_from_db()
    assert task.status == "reported" and task.arrival_id and task.report_id
    assert page.locator("[data-testid=arrival]").count() == 1
    assert "Акт жасалды" in page.locator("[data-testid=report]").inner_text()
    act_image = page.locator("[data-testid=act-photo]")
    act_image.wait_for()
    assert page.evaluate("(img) => img.naturalWidth", act_image.element_handle()) > 0
    screenshot("task")
    assert csp == []
