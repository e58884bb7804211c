"""In Kazakh, in Debian's Chromium: a coordinator opens the checklist dashboard, sees each
question's answers and follows a figure to the reports behind it; the moderation, legal and
checklist pages fit a 390 px phone without horizontal scrolling."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from tests.checklists.conftest import send
from tests.intake.factories import CLEAN_237, SEED_237, payload, two_pages
from tests.legal.factories import make_incidents
from tests.observers.factories import build_world

from baqylau.intake.models import Submission
from baqylau.jobs.worker import run_until_idle
from baqylau.protocols.intake import submit_protocol_copy
from baqylau.protocols.models import ProtocolCopy
from baqylau.reports.forms import load_form

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
_senders = itertools.count(1)


def sign_in(page, live_server, user) -> None:
    """The browser gets the session of a user signed in by the test client."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


def test_a_coordinator_reads_the_checklist_dashboard_in_kazakh(
    live_server, page, screenshot, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    world = build_world()
    send(world, "A1", "237")
    a2 = send(world, "A2", "238", boxes_empty_shown=False)
    send(world, "C1", "238")
    sign_in(page, live_server, world.users["coord_a"])
    page.set_viewport_size(PHONE)
    page.set_default_timeout(120_000)  # a loaded machine: time is not what is tested here

    page.goto(f"{live_server.url}/kk/checklists/")
    page.click("text=Учаскенің ашылуы")
    page.wait_for_selector("section.question")
    questions = load_form("opening")["questions"]
    sealed = page.locator("#q-boxes_sealed")
    assert questions[2]["label"]["kk"] in sealed.inner_text()
    text = sealed.inner_text()
    assert "иә: 2" in text and "жоқ: 0" in text  # 237 and 238 sealed; 300 sent nothing
    shown = page.locator("#q-boxes_empty_shown").inner_text()
    # C1 is of another organisation: not in this coordinator's figures; A2 said "no" at 238
    assert "иә: 1" in shown and "жоқ: 1" in shown
    assert page.locator("#q-boxes_sealed svg.answer-bar").count() == 1
    screenshot("dashboard")
    fits(page)

    # the figure leads to the reports it rests on
    page.locator("#q-boxes_sealed a", has_text="иә: 2").click()
    page.wait_for_selector("#reports")
    assert page.locator("#reports li").count() == 2  # A1 at 237, A2 at 238
    fits(page)
    page.click(f"a[href$='/kk/checklists/reports/{a2.pk}/']")
    page.wait_for_selector("#call-form")
    assert "Жәшіктер мөрленді, бірақ бос екені көрсетілмеді" in page.content()
    page.select_option("select[name=call-outcome]", "confirmed")
    page.click("#call-form button[type=submit]")
    page.wait_for_selector("#calls li >> text=байқаушы хабарламаны растады")
    fits(page)

    page.goto(f"{live_server.url}/kk/checklists/{world.election.code}/opening/responses/")
    assert "толық" in page.content()
    screenshot("responses")
    fits(page)


def _copy(election, figures, station="237"):
    return submit_protocol_copy(
        channel=Submission.Channel.TELEGRAM,
        sender=f"obs-h15c-{next(_senders)}",
        source=ProtocolCopy.Source.OBSERVER,
        payload=payload(election, figures, station_code=station),
        photos=two_pages(),
    )


def test_moderation_legal_and_checklist_pages_fit_a_phone(
    live_server, page, screenshot, settings, tmp_path
):
    from tests.intake.factories import make_election

    settings.DATA_DIR = tmp_path
    world = build_world()
    make_incidents(world)
    send(world, "A1", "237")
    election = make_election()
    _copy(election, SEED_237)
    _copy(election, CLEAN_237, station="441")
    _copy(election, CLEAN_237, station="441")
    run_until_idle()
    staff = User.objects.create_user("staff-h15c", password="pw")
    staff.user_permissions.add(Permission.objects.get(codename="change_protocolcopy"))
    page.set_viewport_size(PHONE)

    page.set_default_timeout(120_000)  # a loaded machine: time is not what is tested here
    sign_in(page, live_server, staff)
    for path in ("moderation/", "moderation/incidents/", "moderation/statistics/"):
        page.goto(f"{live_server.url}/kk/{path}")
        assert page.locator("main h1").count() == 1
        if path == "moderation/":  # the two agreeing copies of 441 can be accepted together
            assert page.locator("input[type=checkbox][name=copies]").count() == 2
        screenshot(path.replace("/", "_"))
        fits(page)

    page.context.clear_cookies()
    sign_in(page, live_server, world.users["lawyer_a"])
    for path in ("legal/", "legal/incidents/", "legal/statistics/", "legal/sources/"):
        page.goto(f"{live_server.url}/kk/{path}")
        assert page.locator("main h1").count() == 1
        screenshot(path.replace("/", "_"))
        fits(page)
    assert "41-баптың" in page.content() or "41-бабы" in page.content()
    assert "art." not in page.locator("#norms").inner_text()

    page.context.clear_cookies()
    sign_in(page, live_server, world.users["coord_a"])
    for path in ("checklists/", f"checklists/{world.election.code}/opening/"):
        page.goto(f"{live_server.url}/kk/{path}")
        fits(page)
