import pytest
from tests.factories import make_small_election

from baqylau.dashboard.services import rebuild_summaries

pytestmark = pytest.mark.django_db(transaction=True)


def test_drill_down_from_elections_to_a_station_and_switch_language(live_server, page, screenshot):
    data = make_small_election()
    rebuild_summaries(data["election"])

    page.goto(f"{live_server.url}/en/")
    screenshot("home")
    page.get_by_role("link", name="Test presidential election").click()
    page.wait_for_url("**/u/*/")
    assert page.get_by_role("heading", level=1).inner_text() == "Kazakhstan"
    screenshot("country")

    page.get_by_role("link", name="Region A").click()
    page.get_by_role("link", name="District 1").click()
    page.get_by_role("link", name="Station 101").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Station 101"
    assert "School 101" in page.content()
    screenshot("station")

    page.get_by_role("navigation").get_by_role("link", name="Region A").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Region A"

    page.get_by_role("button", name="Русский").click()
    page.wait_for_load_state()
    assert "/ru/" in page.url
    assert "Зарегистрированные избиратели" in page.content()
    screenshot("region-ru")
