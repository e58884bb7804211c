"""The precomputed figures, the station page, snapshots, downloads, the API and privacy."""

import csv
import io
import json
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from tests.dashboard.data import (
    OBSERVER_NAMES,
    OBSERVER_PHONES,
    VOTER_PHONE,
    make_observed_election,
)

from baqylau.dashboard import exports, maps
from baqylau.dashboard.models import Snapshot, UnitStats
from baqylau.dashboard.services import publish_snapshot, rebuild_summaries

PHONE = re.compile(r"\+?7[\s\-()]*7\d{2}[\s\-()]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}")


@pytest.fixture
def observed(db):
    data = make_observed_election()
    rebuild_summaries(data["election"])
    return data


def _stats(unit):
    return UnitStats.objects.get(unit=unit).data


def test_counters_roll_up_from_the_stations(observed):
    country = _stats(observed["country"])
    assert country["crowd"] == {"received": 105, "confirmed": 102}
    assert country["copies"]["received"] == 2
    assert country["copies"]["accepted"] == 1 and country["copies"]["rejected"] == 1
    assert country["copies"]["reasons"] == {"only_one_page": 1}
    assert country["violations"] == {"total": 1, "by_type": {"stuffing": 1}}
    assert country["bots"] == {"observer": 2, "voter": 105}
    assert country["covered"] == 2 and country["with_copy"] == 1
    region_b = _stats(observed["regions"][1])
    assert region_b["crowd"]["received"] == 0 and region_b["violations"]["total"] == 0


def test_three_sources_and_findings(observed):
    contest = str(observed["contest"].id)
    lead, other = (str(c.id) for c in observed["choices"])
    block = _stats(observed["country"])["contests"][contest]
    assert block["official"][lead] == 510 + 520 + 510 + 520
    assert block["observed"] == {lead: 480, other: 101}
    assert block["official_at_observed"] == {lead: 510, other: 101}
    assert block["crowd"][other] == 102 and block["crowd"]["spam"] == 3
    assert block["findings"] == {"impossible": 0, "differs": 1, "crowd_exceeds": 1}
    kinds = {f["kind"] for f in block["findings_list"]}
    assert kinds == {"differs", "crowd_exceeds"}
    curve = _stats(observed["station"])["curve"]
    assert curve["observer"][curve["hours"].index(13)] == pytest.approx(0.4)
    assert curve["commission"][curve["hours"].index(12)] == pytest.approx(0.16)


def test_pages_show_counters_panels_and_plain_findings(client, observed):
    url = "/en" + reverse("dashboard:unit", args=["test-kz", observed["country"].id])[3:]
    html = client.get(url).content.decode()
    for text in ("Ballot photos received", "From voters", "From observers", "Users of the voters"):
        assert text in html
    assert "1 station where the official result differs from the signed copy" in html
    assert "outnumber its official votes" in html
    assert 'data-region="KAZ' not in html or "<svg" in html


def test_station_page_lists_copy_with_differences_and_violation(client, observed):
    url = "/en" + reverse("dashboard:unit", args=["test-kz", observed["station"].id])[3:]
    html = client.get(url).content.decode()
    assert "Accepted protocol copies" in html
    assert "+30" in html  # official 510 − copy 480
    assert "Ballot stuffing" in html
    assert "/evidence/" not in html or "display" not in html  # links are signed tokens only


def test_snapshot_freezes_the_figures(observed):
    snap = publish_snapshot(observed["election"], "13:00")
    figures = snap.data[str(observed["country"].id)]
    assert figures["crowd"]["received"] == 105
    assert figures["turnout_observer"] == pytest.approx(0.4)  # 400 of 1,000 at counted stations
    again = publish_snapshot(observed["election"], "13:00")
    assert again.pk == snap.pk and Snapshot.objects.count() == 1


def test_live_json(client, observed):
    url = reverse("dashboard:live", args=["test-kz", observed["country"].id])
    data = client.get(url).json()
    assert data["counters"]["crowd_received"] == 105
    assert data["curve"]["hours"][0] == 8


@pytest.mark.parametrize("dataset", list(exports.DATASETS))
def test_downloads_in_three_formats(client, observed, dataset):
    unit = observed["country"]
    for fmt in exports.FORMATS:
        response = client.get(
            reverse("dashboard:download", args=["test-kz", unit.id, dataset, fmt])
        )
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
            assert rows[0] == exports.columns(dataset)
            assert len(rows) > 1
        elif fmt == "json":
            assert json.loads(body)["rows"]
        else:
            sheet = load_workbook(io.BytesIO(body)).active
            assert [c.value for c in next(sheet.iter_rows())] == exports.columns(dataset)


def test_region_download_only_has_its_stations(client, observed):
    region = observed["regions"][1]
    url = reverse("dashboard:download", args=["test-kz", region.id, "stations", "csv"])
    body = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
    assert "Station 201" in body and "Station 101" not in body


def test_public_api_needs_no_token(client, observed):
    country = observed["country"]
    assert client.get("/api/v1/public/elections").json()[0]["code"] == "test-kz"
    data = client.get(f"/api/v1/public/elections/test-kz/units/{country.id}").json()
    assert data["figures"]["crowd"]["received"] == 105
    rows = client.get(
        f"/api/v1/public/elections/test-kz/units/{country.id}/datasets/findings?limit=5"
    ).json()["rows"]
    assert {r["kind"] for r in rows} == {"differs", "crowd_exceeds"}


def test_map_matches_simulated_region_codes():
    assert maps.pcode_for("01", ()) == "KAZ006"  # the capital
    assert maps.pcode_for("XX", ("Ulytau Region",)) == "KAZ019"
    assert maps.pcode_for("XX", ("Nowhere",)) is None
    regions = [maps.Region("KAZ019", 1, "Ulytau", 0.5, href="/x/")]
    svg = maps.render_svg(regions, "share", title="t")
    assert svg.count("<path") == 20 and 'href="/x/"' in svg


def test_no_public_page_or_download_contains_personal_data(client, observed):
    """Fetch every public page and download of every unit; scan for names and phone numbers."""
    election = observed["election"]
    urls = ["/en/", "/ru/", "/kk/", f"/en/e/{election.code}/map/", f"/en/e/{election.code}/data/"]
    units = [observed["country"], *observed["regions"], *observed["stations"]]
    for unit in units:
        for lang in ("en", "ru", "kk"):
            urls.append(f"/{lang}/e/{election.code}/u/{unit.id}/")
        urls.append(f"/en/e/{election.code}/u/{unit.id}/live.json")
        for dataset in exports.DATASETS:
            for fmt in exports.FORMATS:
                urls.append(f"/en/e/{election.code}/u/{unit.id}/data/{dataset}.{fmt}")
            urls.append(
                f"/api/v1/public/elections/{election.code}/units/{unit.id}/datasets/{dataset}"
            )
        urls.append(f"/api/v1/public/elections/{election.code}/units/{unit.id}")
    urls.append(f"/api/v1/public/elections/{election.code}/snapshots")
    forbidden = [*OBSERVER_NAMES, *OBSERVER_PHONES, VOTER_PHONE] + [
        o.public_id for o in observed["observers"]
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if url.endswith(".xlsx"):
            sheet = load_workbook(io.BytesIO(body)).active
            text = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row)
        else:
            text = body.decode("utf-8-sig")
        for needle in forbidden:
            assert needle not in text, (url, needle)
        assert not PHONE.search(text), (url, PHONE.search(text).group())
