"""The public figures read the tally: counters, the station page and its evidence, snapshots,
downloads, the API and privacy. The election of `data.py` is counted by the background jobs."""

import csv
import io
import json
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from tests.dashboard.data import OBSERVER_NAMES, OBSERVER_PHONES, VOTER_PHONE
from typer.testing import CliRunner

from baqylau.dashboard import exports, maps, selectors
from baqylau.dashboard.models import Snapshot, UnitStats
from baqylau.dashboard.services import publish_snapshot, snapshot_time
from baqylau.jobs.worker import run_until_idle
from baqylau.moderation.services import decision_create
from baqylau.tally.models import Finding, StationResult, UnitCount

PHONE = re.compile(r"\+?7[\s\-()]*7\d{2}[\s\-()]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}")


def _stats(unit):
    return UnitStats.objects.get(unit=unit).data


def _page(client, unit, lang="en") -> str:
    url = f"/{lang}" + reverse("dashboard:unit", args=["test-kz", unit.id])[3:]
    return client.get(url).content.decode()


def _csv(client, unit, dataset) -> list[dict]:
    url = reverse("dashboard:download", args=["test-kz", unit.id, dataset, "csv"])
    body = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_counters_roll_up_from_the_stations(observed):
    country = _stats(observed["country"])
    assert country["crowd"] == {"received": 105, "confirmed": 102}
    # one vocabulary: received → passed / failed the checks → accepted / rejected by a moderator
    assert country["copies"] == {
        "received": 5,
        "passed": 4,
        "failed": 1,  # the one-page copy of station 102
        "accepted": 0,
        "rejected": 1,
        "waiting": 2,  # the two copies of station 201, which disagree
    }
    # the violation report still waiting for a moderator is neither counted nor shown
    assert observed["incident"].moderation == "accepted"
    assert observed["waiting_incident"].moderation == "pending"
    assert country["violations"] == {"total": 1, "by_type": {"stuffing": 1}}
    assert country["bots"] == {"observer": 2, "voter": 105}
    assert country["covered"] == 3 and country["with_copy"] == 3
    region_b = _stats(observed["regions"][1])
    assert region_b["crowd"]["received"] == 0 and region_b["violations"]["total"] == 0
    assert region_b["copies"]["received"] == 2 and region_b["copies"]["waiting"] == 2


def test_figures_are_the_tallys_unit_counts(observed):
    """Every unit's block is the tally's UnitCount, copied: the dashboard counts nothing itself."""
    contest = observed["contest"]
    for count in UnitCount.objects.filter(contest=contest):
        block = _stats(count.unit)["contests"][str(contest.id)]
        assert block["observed"] == count.votes
        assert block["observed_stations"] == count.stations_covered
        assert block["copies"] == count.copies
        assert block["results"] == count.results
        assert block["findings"] == count.findings
    assert UnitStats.objects.count() == UnitCount.objects.filter(contest=contest).count() == 9


def test_three_sources_and_findings(observed):
    contest = str(observed["contest"].id)
    lead, other = (str(c.id) for c in observed["choices"])
    block = _stats(observed["country"])["contests"][contest]
    assert block["official"][lead] == 510 + 520 + 510 + 520
    # only the settled station is counted (station 201's copies disagree)
    assert block["observed_stations"] == 1
    assert block["observed"] == {lead: 480, other: 101}
    assert block["official_at_observed"] == {lead: 510, other: 101}
    # "from voters": the verified ballots only, saying what it rests on and what is left out
    # (votes by choice as the tally stores them, with the bot's spam beside them)
    assert block["crowd"] == {lead: 0, other: 102, "spam": 3} and block["crowd_total"] == 102
    assert block["crowd_confirmed"] == {lead: 0, other: 102}
    assert block["crowd_tiers"] == {"phone_verified": 102, "spam": 3}
    assert block["results"]["agreed"] == 1 and block["results"]["conflict"] == 1
    # turnout: official (4 stations), at the settled station, and on its copies
    assert block["turnout"]["official"] == pytest.approx((616 + 626 + 617 + 627) / 4000)
    assert block["turnout"]["official_at_observed"] == pytest.approx(616 / 1000)
    assert block["turnout"]["observed"] == pytest.approx(586 / 1000)
    assert block["findings"] == {
        "station_differs": 1,
        "parts_do_not_sum": 1,  # region A's published total
        "crowd_exceeds_official": 1,
        "crowd_declared_exceeds": 1,  # the same 102 voters, as declared choices
    }
    listed = {f["id"]: f["kind"] for f in block["findings_list"]}
    tally = dict(Finding.objects.filter(contest_id=contest).values_list("id", "kind"))
    assert listed == tally
    assert set(listed.values()) == {
        "station_differs",
        "parts_do_not_sum",
        "crowd_exceeds_official",
        "crowd_declared_exceeds",
    }
    curve = _stats(observed["station"])["curve"]
    assert curve["observer"][curve["hours"].index(13)] == pytest.approx(0.4)
    assert curve["commission"][curve["hours"].index(12)] == pytest.approx(0.16)


def test_pages_show_counters_panels_and_plain_findings(client, observed):
    html = _page(client, observed["country"])
    for text in ("Ballot photos received", "From voters", "From observers", "Users of the voters"):
        assert text in html
    assert "1 station where the official result differs from the settled copies" in html
    assert "outnumber its official votes" in html
    assert "1 station whose copies disagree: waiting for a moderator" in html
    assert "Why moderators rejected protocol copies" in html
    assert "Only one page of the protocol" in html
    assert "62.2 %" in html and "58.6 %" in html  # turnout: official, from observers
    assert 'data-region="KAZ' not in html or "<svg" in html


def test_an_unknown_figure_is_never_zero(client, observed):
    """Region B has no settled station: its observed figures are unknown ("—"), not 0."""
    region = observed["regions"][1]
    page = selectors.unit_page(observed["election"], region.id)
    (panel,) = page.panels
    assert panel.observed_stations == 0
    assert panel.observed_total is None and panel.official_at_observed_total is None
    assert all(row.observed is None for row in panel.rows if not row.category)
    assert panel.official_total == 510 + 102 + 520 + 102
    html = _page(client, region)
    assert "From observers, 0 stations" in html
    assert re.search(r'<td class="num">—<br>', html)


def test_station_page_lists_the_copies_and_the_violation(client, observed):
    html = _page(client, observed["station"])
    assert "Protocol copies of this station" in html and "copies agree" in html
    assert "+30" in html  # official 510 − copy 480
    assert "The official result gives votes for Tokayev as 510" in html
    assert "Ballot stuffing" in html
    # every copy a finding rests on is on the page, with its figures
    findings = Finding.objects.filter(unit=observed["station"], kind="station_differs")
    assert findings.count() == 2  # Tokayev and line 5
    for finding in findings:
        assert sorted(finding.details["evidence"]["copies"]) == sorted(
            c.pk for c in observed["copies"]
        )
        assert f'id="finding-{finding.pk}"' in html
        for copy_id in finding.details["evidence"]["copies"]:
            assert f'id="copy-{copy_id}"' in html
    assert "/evidence/" not in html or "display" not in html  # links are signed tokens only

    rejected = _page(client, observed["stations"][1])  # station 102: its only copy rejected
    assert "No protocol copy of this station takes part in the count yet." in rejected
    assert f'id="copy-{observed["rejected"].pk}"' not in rejected
    assert "No confirmed violation at this station." in rejected  # the report still waits


def test_copies_that_disagree_accuse_nobody_until_a_moderator_decides(client, observed):
    """The false accusation of issue 12: a station whose copies disagree is shown as waiting,
    never as a difference from the official result; a moderator's decision settles it."""
    station, contest = observed["disputed_station"], observed["contest"]
    assert StationResult.objects.get(station=station).status == "conflict"
    assert not Finding.objects.filter(unit=station).exists()
    html = _page(client, station)
    assert "copies disagree, waiting for a moderator" in html
    assert "0 stations where the official result differs" in html
    assert "The official result gives" not in html
    district = _stats(station.parent)["contests"][str(contest.id)]
    assert "station_differs" not in district["findings"]
    assert district["results"]["conflict"] == 1 and district["observed_stations"] == 0

    # a moderator accepts the copy that says Tokayev 500 (official: 510); the jobs follow
    chosen = observed["disputed"][1]
    decision = decision_create(copy=chosen, moderator=observed["moderator"], verdict="accept")
    run_until_idle()
    assert StationResult.objects.get(station=station).status == "resolved"
    finding = Finding.objects.get(unit=station, kind="station_differs", choice__code="tokayev")
    assert (finding.official, finding.observed) == (510, 500)
    assert finding.details["evidence"]["copies"] == [chosen.pk]
    assert finding.details["evidence"]["decisions"] == [decision.pk]
    html = _page(client, station)
    assert "settled by a moderator" in html
    assert "The official result gives votes for Tokayev as 510" in html
    assert f'id="copy-{chosen.pk}"' in html and f"decision {decision.pk}" in html
    assert f'id="copy-{observed["disputed"][0].pk}"' not in html  # it no longer takes part
    district = _stats(station.parent)["contests"][str(contest.id)]
    assert district["findings"]["station_differs"] == 1 and district["observed_stations"] == 1
    assert (
        _stats(observed["country"])["contests"][str(contest.id)]["findings"]["station_differs"] == 2
    )


def test_snapshot_freezes_the_figures(observed):
    snap = publish_snapshot(observed["election"], "13:00")
    figures = snap.data[str(observed["country"].id)]
    assert figures["crowd"]["received"] == 105
    assert figures["copies"]["received"] == 5
    assert figures["turnout_observer"] == pytest.approx(0.4)  # 400 of 1,000 at counted stations
    again = publish_snapshot(observed["election"], "13:00")
    assert again.pk == snap.pk and Snapshot.objects.count() == 1


@pytest.mark.parametrize("bad", ["25:00", "13:60", "noon", "13", ""])
def test_snapshot_time_refuses_a_time_that_does_not_exist(db, bad):
    from tests.factories import make_small_election

    election = make_small_election()["election"]
    with pytest.raises(ValueError, match="not a time of day"):
        snapshot_time(election, bad)
    assert snapshot_time(election, "13:00").hour == 13


def test_snapshot_command_refuses_a_bad_time(observed):
    from baqylau.cli import app

    result = CliRunner().invoke(app, ["snapshot", "--election", "test-kz", "--at", "25:00"])
    assert result.exit_code == 2
    assert "Cannot publish a snapshot: '25:00' is not a time of day" in result.output
    assert "Traceback" not in result.output
    assert not Snapshot.objects.exists()
    result = CliRunner().invoke(app, ["snapshot", "--election", "test-kz", "--at", "13:00"])
    assert result.exit_code == 0, result.output
    assert Snapshot.objects.count() == 1


def test_live_json(client, observed):
    url = reverse("dashboard:live", args=["test-kz", observed["country"].id])
    data = client.get(url).json()
    assert data["counters"]["crowd_received"] == 105
    assert data["counters"]["copies_received"] == 5 and data["counters"]["copies_rejected"] == 1
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


def test_findings_download_is_the_tallys_findings(client, observed):
    rows = _csv(client, observed["country"], "findings")
    tally = Finding.objects.filter(contest=observed["contest"])
    assert {int(r["finding_id"]) for r in rows} == set(tally.values_list("id", flat=True))
    for finding in tally:
        (row,) = [r for r in rows if int(r["finding_id"]) == finding.pk]
        assert (row["kind"], int(row["unit_id"]), row["line"]) == (
            finding.kind,
            finding.unit_id,
            finding.line,
        )
        assert row["official"] == str(finding.official)
        assert row["observed"] == str(finding.observed)
        copies = finding.details.get("evidence", {}).get("copies", [])
        assert row["copies"].split() == [str(c) for c in copies]
    # a region's download has only the findings at or under it
    region_b = _csv(client, observed["regions"][1], "findings")
    assert region_b == []


def test_stations_and_observed_downloads_say_what_is_settled(client, observed):
    stations = {r["code"]: r for r in _csv(client, observed["country"], "stations")}
    assert (stations["101"]["protocol_copies_received"], stations["101"]["result_status"]) == (
        "2",
        "agreed",
    )
    assert (stations["102"]["protocol_copies_received"], stations["102"]["result_status"]) == (
        "1",
        "",
    )
    assert stations["201"]["result_status"] == "conflict" and stations["202"]["observed"] == "0"
    observed_rows = _csv(client, observed["country"], "observed")
    disputed = [r for r in observed_rows if r["station_id"] == str(observed["disputed_station"].id)]
    assert disputed and {r["status"] for r in disputed} == {"conflict"}
    codes = {r["code"] for r in disputed}
    assert "L1" in codes and "kossanov" in codes  # the copies agree on these
    assert not codes & {"L3", "L5", "L8", "tokayev"}  # disputed: absent, never 0
    settled = [r for r in observed_rows if r["station_id"] == str(observed["station"].id)]
    assert {(r["code"], r["value"]) for r in settled} >= {("tokayev", "480"), ("L5", "586")}


def test_region_download_only_has_its_stations(client, observed):
    body = "\n".join(str(r) for r in _csv(client, observed["regions"][1], "stations"))
    assert "Station 201" in body and "Station 101" not in body


def test_public_api_needs_no_token(client, observed):
    country = observed["country"]
    assert client.get("/api/v1/public/elections").json()[0]["code"] == "test-kz"
    data = client.get(f"/api/v1/public/elections/test-kz/units/{country.id}").json()
    assert data["figures"]["crowd"]["received"] == 105
    rows = client.get(
        f"/api/v1/public/elections/test-kz/units/{country.id}/datasets/findings?limit=50"
    ).json()["rows"]
    assert {r["kind"] for r in rows} == {
        "station_differs",
        "parts_do_not_sum",
        "crowd_exceeds_official",
        "crowd_declared_exceeds",
    }
    assert {r["finding_id"] for r in rows} == set(Finding.objects.values_list("id", flat=True))


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
