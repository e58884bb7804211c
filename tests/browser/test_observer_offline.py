"""The observer app offline: log in, lose the network, file reports, get them delivered once;
a report the server rejects stays in the outbox with the reason until the observer fixes it."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect
from tests.observers.factories import build_world

from baqylau.intake.models import Submission
from baqylau.observer_app.models import ClientReceipt
from baqylau.observers.models import Assignment
from baqylau.observers.services import assign_observer
from baqylau.reports.models import Incident, TurnoutCount

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


def jpeg(path):
    image = Image.new("RGB", (320, 240), (180, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    path.write_bytes(buffer.getvalue())
    return path


def items(page, state=None):
    selector = "li.item" + (f"[data-state={state}]" if state else "")
    return page.locator(selector)


def test_offline_outbox_delivers_once_and_keeps_rejections(
    live_server, page, screenshot, world, tmp_path
):
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/ru/observe/")
    page.fill("input[name=username]", "obs_a1")
    page.fill("input[name=password]", "pw-obs_a1")
    screenshot("1-login")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#home:not([hidden])")
    assert world.observers["A1"].public_id in page.inner_text("header")
    # The service worker controls the page: the shell now opens without a network.
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    screenshot("2-menu")

    context = page.context
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#home:not([hidden])")
    assert "Нет связи" in page.inner_text("#net")

    # A turnout count, offline.
    page.click("a[href='#turnout']")
    page.fill("#f-turnout input[name=at]", "10:30")
    page.fill("#f-turnout input[name=count]", "412")
    page.fill("#f-turnout input[name=commission_count]", "530")
    page.click("#f-turnout button[type=submit]")
    page.wait_for_selector("#outbox:not([hidden])")

    # A count above the station's registered voters is refused at once, never queued.
    page.click("footer a[href='#']")
    page.click("a[href='#turnout']")
    page.fill("#f-turnout input[name=count]", "5000")
    page.click("#f-turnout button[type=submit]")
    assert "2170" in page.inner_text("#f-turnout .err")
    screenshot("3-refused-at-once")

    # A violation with a photo, offline.
    page.click("footer a[href='#']")
    page.click("a[href='#incident']")
    page.select_option("#f-incident select[name=violation]", "stuffing")
    page.fill("#f-incident input[name=at]", "14:15")
    page.fill("#f-incident textarea[name=text]", "Пачка бюллетеней в урне")
    page.set_input_files("#f-incident input[name=photos]", str(jpeg(tmp_path / "photo.jpg")))
    page.click("#f-incident button[type=submit]")
    page.wait_for_selector("#outbox:not([hidden])")
    assert items(page, "queued").count() == 2
    assert "Ждёт отправки" in page.inner_text("#items")
    assert page.inner_text("#badge") == "2"
    screenshot("4-offline-queued")
    assert TurnoutCount.objects.count() == 0 and Incident.objects.count() == 0

    # Back online: both are delivered and answered.
    context.set_offline(False)
    page.wait_for_selector("li.item[data-state=recorded]")
    page.wait_for_selector("li.item[data-state=waiting]")
    text = page.inner_text("#items")
    assert "Получено: участок 237, 10:30 — 412" in text  # the glossary: received
    assert "Квитанция №" in text
    screenshot("5-online-delivered")
    turnout = TurnoutCount.objects.get()
    incident = Incident.objects.get()
    assert (turnout.observer_count, turnout.commission_count) == (412, 530)
    assert incident.violation.code == "stuffing" and incident.submission.media.count() == 1
    keys = list(ClientReceipt.objects.values_list("key", flat=True))
    assert len(keys) == 2
    for key in keys:
        assert Submission.objects.filter(payload__data__client_id=str(key)).count() == 1

    # Sending again (the button, a reload) never duplicates anything.
    page.click("#send-now")
    page.reload()
    page.wait_for_selector("#outbox:not([hidden]) li.item")
    assert items(page).count() == 2
    page.click("footer a[href='#']")
    assert TurnoutCount.objects.count() == 1 and Incident.objects.count() == 1

    # The coordinator moves the observer to another station; the phone still offers 237.
    Assignment.objects.filter(observer=world.observers["A1"]).delete()
    assign_observer(
        observer=world.observers["A1"], station=world.stations["238"], shift="afternoon"
    )
    page.click("a[href='#turnout']")
    page.fill("#f-turnout input[name=at]", "12:00")
    page.fill("#f-turnout input[name=count]", "700")
    page.click("#f-turnout button[type=submit]")
    rejected = page.wait_for_selector("li.item[data-state=rejected]")
    assert "Вы не назначены на участок № 237" in rejected.inner_text()
    state = rejected.query_selector("p.state").inner_text()
    assert state and "Not recorded" not in state, f"state not in the page's language: {state!r}"
    screenshot("6-rejected-kept")

    # It stays: retries, reloads and a cancelled discard keep it, with its reason.
    page.click("#send-now")
    # Discard, then cancel at the confirmation. The outbox is redrawn after every sync (here the
    # one just asked for, and the service worker's): a click that lands as the list is redrawn
    # is lost, so the observer clicks again until asked.
    asked = []

    def cancel(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", cancel)
    for _ in range(20):
        page.click("li.item[data-state=rejected] button[data-act=discard]")
        page.wait_for_timeout(250)
        if asked:
            break
    page.remove_listener("dialog", cancel)
    assert len(asked) == 1 and "безвозвратно" in asked[0]
    page.wait_for_selector("li.item[data-state=rejected]")
    page.reload()
    kept = page.wait_for_selector("li.item[data-state=rejected]")
    assert "Вы не назначены на участок № 237" in kept.inner_text()
    assert page.inner_text("#badge") == "1"

    # The observer fixes it (the refreshed placements now offer 238) and sends it again.
    page.click("li.item[data-state=rejected] button[data-act=edit]")
    page.wait_for_selector("#f-turnout:not([hidden])")
    assert page.input_value("#f-turnout input[name=count]") == "700"
    assert "238" in page.inner_text("#f-turnout select[name=station]")
    page.click("#f-turnout button[type=submit]")
    # (a locator, not wait_for_function: the page's CSP forbids evaluating strings)
    expect(page.locator("li.item[data-state=recorded]")).to_have_count(2, timeout=20000)
    screenshot("7-fixed-and-accepted")
    assert items(page, "rejected").count() == 0
    fixed = TurnoutCount.objects.get(observer_count=700)
    assert fixed.station == world.stations["238"]
    receipt = ClientReceipt.objects.get(record_id=fixed.pk)
    assert receipt.attempts == 2
    # Both attempts kept their envelope: the rejected one is evidence too.
    assert Submission.objects.filter(payload__data__client_id=str(receipt.key)).count() == 2
