"""The public dashboard in headless Chromium on a 412 px phone viewport, with no network.

The `page` fixture fails a test on any request outside 127.0.0.1; screenshots of every page go to
test-artifacts/.
"""

from pathlib import Path

import pytest
from tests.dashboard.data import make_observed_election

from baqylau.dashboard.services import publish_snapshot
from baqylau.jobs.worker import run_until_idle
from baqylau.simulate.engine import SimulationConfig, simulate
from baqylau.simulate.loader import load_simulation

pytestmark = pytest.mark.django_db(transaction=True)


def test_drill_down_with_selectors_and_back_switch_language_download_csv(
    live_server, page, screenshot, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    data = make_observed_election()  # counted and summarised by the background jobs
    publish_snapshot(data["election"], "13:00")
    country = data["country"]

    page.goto(f"{live_server.url}/en/e/test-kz/u/{country.id}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Kazakhstan"
    assert "Ballot photos received" in page.content()
    screenshot("overview")

    # the region → district → station selectors (JavaScript submits on change)
    with page.expect_navigation():
        page.get_by_label("Choose a region").select_option(label="Region A")
    assert page.get_by_role("heading", level=1).inner_text() == "Region A"
    screenshot("region")
    with page.expect_navigation():
        page.get_by_label("Choose a district").select_option(label="District 1")
    assert page.get_by_role("heading", level=1).inner_text() == "District 1"
    with page.expect_navigation():
        page.get_by_label("Choose a polling station").select_option(label="Station 101")
    assert page.get_by_role("heading", level=1).inner_text() == "Station 101"
    copies = page.locator("section[aria-labelledby=copies-h]").inner_text()
    assert "Protocol copies of this station" in copies and "copies agree" in copies
    assert page.locator("article.copy[id^=copy-]").count() == 2  # both copies taking part
    assert "The official result gives votes for Tokayev as 510" in page.content()
    screenshot("station")

    # back up through the breadcrumbs
    page.get_by_role("navigation", name="Breadcrumbs").get_by_role(
        "link", name="Kazakhstan"
    ).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Kazakhstan"

    # language switch keeps the page
    page.locator('form.lang button[lang="kk"]').click()
    page.wait_for_url("**/kk/**")
    assert page.get_by_role("heading", level=1).inner_text() == "Қазақстан"
    assert "Сайлаушылардан" in page.content()
    screenshot("overview-kk")
    page.locator('form.lang button[lang="ru"]').click()
    page.wait_for_url("**/ru/**")
    assert "От избирателей" in page.content()
    screenshot("overview-ru")

    # download the stations CSV of the whole election
    with page.expect_download() as info:
        page.locator("ul.downloads a", has_text="CSV").first.click()
    content = Path(info.value.path()).read_text(encoding="utf-8-sig")
    lines = content.strip().splitlines()
    assert lines[0].startswith("station_id,path,code,name_kk")
    assert len(lines) == 1 + 4 and "Station 101" in content

    page.goto(f"{live_server.url}/en/e/test-kz/data/")
    assert page.get_by_role("heading", level=1).inner_text() == "Data dictionary"
    screenshot("data-dictionary")


def test_map_click_lands_on_the_region_page(live_server, page, screenshot):
    sim = simulate(SimulationConfig(seed=7, n_stations=400, n_regions=20))
    load_simulation(sim, election_code="sim-map")
    run_until_idle()  # the recount and the summaries the loading queued

    page.goto(f"{live_server.url}/en/e/sim-map/map/?measure=leader_official")
    assert page.locator("figure.map svg a").count() == 20
    screenshot("map")
    with page.expect_navigation():
        page.locator('a[data-region="KAZ019"]').click()  # Ulytau ← simulated region 19
    assert page.get_by_role("heading", level=1).inner_text() == "Region 19"
    screenshot("map-region")

    page.goto(f"{live_server.url}/en/e/sim-map/map/?measure=coverage")
    screenshot("map-coverage")
