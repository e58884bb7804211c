import pytest
from django.urls import reverse
from tests.factories import make_small_election

from baqylau.jobs.worker import run_until_idle
from baqylau.tally.tasks import recount_election


@pytest.fixture
def small_election(db):
    """Official results only (no copy yet), counted as after an import: by the jobs."""
    data = make_small_election()
    recount_election(data["election"].pk, forensics=False)
    run_until_idle()
    return data


def test_election_redirects_to_its_country_page(client, small_election):
    response = client.get(
        reverse("dashboard:election", args=["test-kz"]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    assert response.url.endswith(f"/u/{small_election['country'].id}/")


def test_country_page_lists_regions_with_voters_and_official_results(client, small_election):
    url = reverse("dashboard:unit", args=["test-kz", small_election["country"].id])
    html = client.get(url).content.decode()
    assert "Region A" in html and "Region B" in html
    assert "4,000" in html or "4 000" in html or "4\xa0000" in html  # registered voters, 4 stations
    # station sums: Tokayev 510+520 per region → 2,060 in all
    assert "2,060" in html or "2\xa0060" in html or "2 060" in html


def test_region_page_flags_official_total_that_differs_from_its_stations(client, small_election):
    region = small_election["regions"][0]
    with_lang = "/en" + reverse("dashboard:unit", args=["test-kz", region.id])[3:]
    html = client.get(with_lang).content.decode()
    assert "1 unit whose official total differs from the sum of its parts" in html
    # the finding in words: the published regional figure against the sum of its two stations
    assert "announced for Region A gives votes for Tokayev as 1 500" in html
    assert "its 2 stations add up to 1 030" in html
    assert "the announced figure is 470 more than the sum of its parts" in html
    assert "Official, announced for this unit" in html


def test_page_with_no_copy_shows_observed_figures_as_unknown(client, small_election):
    region = small_election["regions"][1]
    html = client.get(
        "/en" + reverse("dashboard:unit", args=["test-kz", region.id])[3:]
    ).content.decode()
    assert "From observers, 0 stations" in html
    assert "0 copies received" in html


def test_station_page_shows_address_and_registered_voters(client, small_election):
    station = small_election["stations"][0]
    html = client.get(reverse("dashboard:unit", args=["test-kz", station.id])).content.decode()
    assert "School 101" in html
    assert "Station 101" in html


def test_unknown_unit_is_404(client, small_election):
    assert client.get(reverse("dashboard:unit", args=["test-kz", 999999])).status_code == 404
