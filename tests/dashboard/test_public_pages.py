import pytest
from django.urls import reverse
from tests.factories import make_small_election

from baqylau.dashboard.services import rebuild_summaries


@pytest.fixture
def small_election(db):
    data = make_small_election()
    rebuild_summaries(data["election"])
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
    assert "differs from the sum of its station protocols" in html
    assert "1,500" in html  # the published regional figure
    assert "1,030" in html  # the sum of its two stations for Tokayev


def test_station_page_shows_address_and_registered_voters(client, small_election):
    station = small_election["stations"][0]
    html = client.get(reverse("dashboard:unit", args=["test-kz", station.id])).content.decode()
    assert "School 101" in html
    assert "Station 101" in html


def test_unknown_unit_is_404(client, small_election):
    assert client.get(reverse("dashboard:unit", args=["test-kz", 999999])).status_code == 404
