"""A lawyer selects three incidents at two stations, builds a court complaint, downloads it,
marks it filed, records a refusal and sees the appeal deadline."""

import datetime as dt
import re
from urllib.parse import urlparse

import pytest
from django.utils import timezone
from tests.legal.factories import make_incidents
from tests.observers.factories import build_world

from baqylau.legal import deadlines
from baqylau.legal.models import Case


@pytest.mark.django_db(transaction=True)
def test_lawyer_builds_files_and_tracks_a_court_complaint(
    live_server, page, screenshot, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    world = build_world()
    make_incidents(world)
    lawyer = world.users["lawyer_a"]

    page.goto(f"{live_server.url}/ru/legal/")
    page.fill("input[name=username]", lawyer.username)
    page.fill("input[name=password]", "pw-lawyer_a")
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: urlparse(url).path == "/ru/legal/")

    page.click("text=Инциденты")
    boxes = page.locator("input[name=incident]")
    assert boxes.count() == 3
    for index in range(3):
        boxes.nth(index).check()
    page.select_option("select[name=kind]", "complaint_court")
    page.select_option("select[name=language]", "ru")
    screenshot("selected")
    page.click("#build-case")
    page.wait_for_url(re.compile(r"/ru/legal/cases/\d+/$"))
    case = Case.objects.get()
    assert case.incidents.count() == 3 and {i.station.code for i in case.incidents.all()} == {
        "237",
        "238",
    }

    with page.expect_download() as info:
        page.click("a.download-pdf")
    download = info.value
    target = tmp_path / "complaint.pdf"
    download.save_as(target)
    assert target.read_bytes().startswith(b"%PDF")

    today = timezone.localdate()
    page.select_option("select[name=status]", "filed")
    page.fill("input[name=on]", today.isoformat())
    page.fill("input[name=reference]", "2-777/19")
    page.click("#event-form button[type=submit]")
    page.wait_for_selector("text=Подана")
    page.select_option("select[name=status]", "refused")
    page.fill("input[name=on]", today.isoformat())
    page.set_input_files(
        "input[name=document]",
        files=[{"name": "ruling.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"}],
    )
    page.click("#event-form button[type=submit]")
    expected = deadlines.deadline(today, 10, deadlines.load_calendar())
    deadline_text = page.locator("#next-deadline").inner_text()
    screenshot("refused")
    assert expected.strftime("%d.%m.%Y") in deadline_text
    assert "обжалование" in deadline_text
    assert page.locator("#case-status").inner_text() == "Отказано в рассмотрении"

    page.click("text=Мои дела")
    assert expected.strftime("%d.%m.%Y") in page.locator("table.deadlines").inner_text()
    case.refresh_from_db()
    assert case.status == "refused" and case.next_deadline == expected
    assert expected >= today + dt.timedelta(days=10)
