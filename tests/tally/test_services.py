"""The tally against the database: reconciliation, moderators' resolutions, the count up the tree,
the comparison at every level, the estimate, and the acceptance test on a simulated election."""

from dataclasses import replace

import numpy as np
import pytest
import typer
from django.contrib.auth import get_user_model
from typer.testing import CliRunner

from baqylau.elections.models import Choice
from baqylau.protocols.models import Conflict, StationResult
from baqylau.protocols.reconciliation import Participation
from baqylau.simulate.copies import make_copies
from baqylau.simulate.engine import SimulationConfig, simulate
from baqylau.simulate.loader import load_simulation
from baqylau.tally import cli as tally_cli
from baqylau.tally.models import Estimate, Finding, UnitCount
from baqylau.tally.services import (
    compare,
    reconcile_contest,
    reconcile_station,
    recount,
    resolve_conflict,
    write_simulated_copies,
)

from .helpers import add_copy, add_stations, add_unit, make_election, protocol, set_official

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def moderator():
    return get_user_model().objects.create_user("moderator", password="x")


def figures(result: StationResult):
    result = StationResult.objects.get(pk=result.pk)  # as stored
    codes = dict(Choice.objects.values_list("pk", "code"))
    votes = {codes[int(pk)]: n for pk, n in result.votes.items()}
    return dict(result.lines), votes


# -- reconciliation ----------------------------------------------------------------------------


@pytest.fixture
def four_stations():
    election, contest, country = make_election()
    district = add_unit(country, "01", "district")
    a, b, c, d = add_stations(district, 4)
    lines, votes = protocol(1000, {"kossanov": 100, "tokayev": 400, "espayeva": 50}, invalid=5)
    copies = {
        "a": [add_copy(contest, a, lines, votes) for _ in range(3)],
        "b": [
            add_copy(contest, b, lines, votes),
            add_copy(contest, b, {**lines, "L8": lines["L8"] + 10}, votes),
            add_copy(contest, b, lines, {**votes, "tokayev": 410}),
        ],
        "c": [
            add_copy(contest, c, lines, votes),
            add_copy(contest, c, lines, votes, moderation="accepted"),
            add_copy(contest, c, {**lines, "L1": 9}, votes, moderation="rejected"),
        ],
        "d": [add_copy(contest, d, {**lines, "L5": 1}, votes, validation="rejected")],
    }
    return contest, (a, b, c, d), copies, lines, votes


def test_agreeing_copies_become_the_observed_result(four_stations):
    contest, (a, b, c, d), copies, lines, votes = four_stations
    summary = reconcile_contest(contest)
    assert (summary.stations, summary.agreed, summary.conflict) == (3, 2, 1)
    result = StationResult.objects.get(contest=contest, station=a)
    assert result.status == "agreed" and result.copies_count == 3
    assert figures(result) == (lines, votes)
    assert set(result.copies.values_list("pk", flat=True)) == {x.pk for x in copies["a"]}
    # the copy a moderator rejected is kept but does not take part; D has no usable copy
    result_c = StationResult.objects.get(contest=contest, station=c)
    assert result_c.status == "agreed"
    assert set(result_c.copies.values_list("pk", flat=True)) == {x.pk for x in copies["c"][:2]}
    assert not StationResult.objects.filter(contest=contest, station=d).exists()


def test_disagreeing_copies_are_listed_per_line_and_choice(four_stations):
    contest, (a, b, c, d), copies, lines, votes = four_stations
    reconcile_contest(contest)
    result = StationResult.objects.get(contest=contest, station=b)
    assert result.status == "conflict"
    assert set(result.copies.values_list("pk", flat=True)) == {x.pk for x in copies["b"]}
    conflicts = {(x.line, x.choice.code if x.choice else None): x for x in result.conflicts.all()}
    assert set(conflicts) == {("L8", None), ("", "tokayev")}
    ids = [x.pk for x in copies["b"]]
    assert conflicts[("L8", None)].values == [
        {"copy": ids[0], "value": lines["L8"]},
        {"copy": ids[1], "value": lines["L8"] + 10},
        {"copy": ids[2], "value": lines["L8"]},
    ]
    assert [v["value"] for v in conflicts[("", "tokayev")].values] == [400, 400, 410]
    got_lines, got_votes = figures(result)
    assert "L8" not in got_lines and "tokayev" not in got_votes  # disputed: not settled
    assert got_lines["L1"] == 1000 and got_votes["kossanov"] == 100

    from baqylau.tally.selectors import open_conflicts, proposed_value

    assert sorted(proposed_value(x) for x in open_conflicts(contest)) == [400, lines["L8"]]


def test_a_moderator_resolves_conflicts_and_recount_keeps_the_decision(four_stations, moderator):
    contest, (a, b, c, d), copies, lines, votes = four_stations
    reconcile_contest(contest)
    line_conflict = Conflict.objects.get(result__station=b, line="L8")
    vote_conflict = Conflict.objects.get(result__station=b, choice__code="tokayev")
    with pytest.raises(ValueError):
        resolve_conflict(line_conflict, lines["L8"], "", moderator)
    result = resolve_conflict(line_conflict, lines["L8"], "photo of page 2 is legible", moderator)
    assert result.status == "conflict"
    result = resolve_conflict(vote_conflict, 400, "two copies and the photo agree", moderator)
    assert result.status == "resolved"
    assert figures(result) == (lines, votes)

    summary = reconcile_contest(contest)
    assert summary.resolutions_kept == 2 and summary.resolved == 1
    result = StationResult.objects.get(contest=contest, station=b)
    assert result.status == "resolved" and figures(result) == (lines, votes)
    kept = Conflict.objects.get(result=result, line="L8")
    assert kept.resolved_by == moderator and kept.resolution_reason == "photo of page 2 is legible"


def test_participation_rule_is_a_parameter(four_stations):
    contest, (a, b, c, d), copies, lines, votes = four_stations
    summary = reconcile_contest(contest, participation=Participation.MODERATED)
    assert summary.stations == 1  # only station C has a copy accepted by a moderator
    result = StationResult.objects.get(contest=contest)
    assert result.station == c and result.copies_count == 1


def test_reconcile_one_station_incrementally(four_stations):
    contest, (a, b, c, d), copies, lines, votes = four_stations
    reconcile_contest(contest)
    before = StationResult.objects.get(contest=contest, station=a).pk
    add_copy(contest, a, {**lines, "L2": lines["L2"] + 1}, votes)
    result = reconcile_station(contest, a)
    assert result.status == "conflict" and result.copies_count == 4
    assert result.pk != before
    assert StationResult.objects.get(contest=contest, station=b).status == "conflict"  # untouched
    assert StationResult.objects.filter(contest=contest).count() == 3


# -- count and comparison ----------------------------------------------------------------------


def test_count_up_the_tree(four_stations):
    contest, (a, b, c, d), copies, lines, votes = four_stations
    recount(contest)
    country_count = UnitCount.objects.get(contest=contest, unit__kind="country")
    assert (country_count.stations_total, country_count.stations_covered) == (4, 2)
    assert country_count.registered_total == 4000 and country_count.registered_covered == 2000
    assert country_count.lines["L5"] == 2 * lines["L5"]
    tokayev = str(contest.choices.get(code="tokayev").pk)
    assert country_count.votes[tokayev] == 800
    assert country_count.shares[tokayev] == pytest.approx(400 / 550, abs=1e-6)
    assert country_count.turnout == pytest.approx(lines["L5"] / 1000)
    assert UnitCount.objects.filter(contest=contest).count() == 2  # country and district


def test_station_official_figure_differs_from_the_signed_copies():
    election, contest, country = make_election()
    district = add_unit(country, "01", "district")
    (station,) = add_stations(district, 1)
    lines, votes = protocol(1000, {"kossanov": 120, "tokayev": 380, "espayeva": 50})
    for _ in range(3):
        add_copy(contest, station, lines, votes)
    off_lines, off_votes = protocol(1000, {"kossanov": 20, "tokayev": 480, "espayeva": 50})
    set_official(contest, station, off_lines, off_votes)
    summary = recount(contest)
    assert summary.compare.stations_differ == 1
    found = {
        f.choice.code: f
        for f in Finding.objects.filter(contest=contest, kind="station_differs", unit=station)
    }
    assert set(found) == {"kossanov", "tokayev"}
    assert (found["kossanov"].observed, found["kossanov"].official) == (120, 20)
    assert found["tokayev"].difference == 100
    assert "480" in found["tokayev"].details["message"]["en"]


def test_almaty_2019_observed_subset_exceeds_the_official_city_total():
    """Copies from 225 of Almaty's 554 stations give Kossanov 69,669 votes; the official total
    for the whole city is 50,366."""
    election, contest, country = make_election()
    almaty = add_unit(country, "75", "region")
    stations = []
    for code, n in (("7501", 200), ("7502", 200), ("7503", 154)):
        stations += add_stations(add_unit(almaty, code, "district"), n, registered=2000)
    assert len(stations) == 554
    kossanov = np.full(225, 69_669 // 225)
    kossanov[: 69_669 - kossanov.sum()] += 1
    for station, k in zip(stations[:225], kossanov.tolist(), strict=True):
        lines, votes = protocol(2000, {"kossanov": k, "tokayev": 600, "espayeva": 40})
        add_copy(contest, station, lines, votes)
    off_lines, off_votes = protocol(
        554 * 2000, {"kossanov": 50_366, "tokayev": 554 * 700, "espayeva": 554 * 40}
    )
    set_official(contest, almaty, off_lines, off_votes)
    summary = recount(contest)
    assert summary.compare.subset_exceeds_total == 1
    finding = Finding.objects.get(contest=contest, kind="subset_exceeds_total")
    assert finding.unit == almaty and finding.choice.code == "kossanov"
    assert (finding.observed, finding.official) == (69_669, 50_366)
    assert finding.details["stations_covered"] == 225
    assert finding.details["stations_total"] == 554
    message = finding.details["message"]["en"]
    assert "225 of 554" in message and "69 669" in message and "50 366" in message


def test_official_total_that_is_not_the_sum_of_its_parts():
    election, contest, country = make_election()
    regions = [add_unit(country, code, "region") for code in ("01", "02")]
    for region, tokayev in zip(regions, (1000, 2000), strict=True):
        add_stations(region, 2)
        lines, votes = protocol(10_000, {"kossanov": 100, "tokayev": tokayev, "espayeva": 10})
        set_official(contest, region, lines, votes)
    lines, votes = protocol(20_000, {"kossanov": 200, "tokayev": 3500, "espayeva": 20})
    set_official(contest, country, lines, votes)
    summary = compare(contest)
    found = Finding.objects.filter(contest=contest, kind="parts_do_not_sum")
    kinds = {(f.line, f.choice.code if f.choice else None) for f in found}
    # tokayev +500, and therefore L3, L5 (took part) and L8 do not add up either
    assert ("", "tokayev") in kinds and ("L5", None) in kinds
    tokayev = found.get(choice__code="tokayev")
    assert (tokayev.official, tokayev.observed, tokayev.unit) == (3500, 3000, country)
    assert tokayev.details["complete"] is True
    assert summary.parts_do_not_sum == len(kinds)


# -- estimate ----------------------------------------------------------------------------------


def test_estimate_says_a_second_round_was_due():
    """Observed stations give the leader ~45%; the official result claims 70%."""
    election, contest, country = make_election()
    rng = np.random.default_rng(3)
    for code in ("01", "02"):
        region = add_unit(country, code, "region")
        district = add_unit(region, code + "01", "district")
        stations = add_stations(district, 40, registered=1500)
        for station in stations[:25]:
            valid = int(rng.integers(700, 900))
            tokayev = int(rng.binomial(valid, 0.45))
            kossanov = int(rng.binomial(valid - tokayev, 0.7))
            lines, votes = protocol(
                1500,
                {"tokayev": tokayev, "kossanov": kossanov, "espayeva": valid - tokayev - kossanov},
            )
            add_copy(contest, station, lines, votes)
    lines, votes = protocol(120_000, {"tokayev": 42_000, "kossanov": 12_000, "espayeva": 6_000})
    set_official(contest, country, lines, votes)
    summary = recount(contest).estimate
    assert summary.second_round == "due"
    assert summary.leader_share + summary.leader_margin < 0.5
    assert summary.official_share == pytest.approx(0.7)
    row = Estimate.objects.get(contest=contest, unit=country, choice__code="tokayev")
    assert row.random_sample is False
    assert "not a random sample" in row.details["label"]
    assert row.details["stratified"] and row.details["strata_used"] == 2
    assert row.details["second_round"] == "due" and row.details["majority_threshold"] == 0.5
    assert row.stations_used == 50


# -- the acceptance test -----------------------------------------------------------------------


def test_acceptance_simulated_election_flags_rewritten_stations_and_no_clean_one(
    data_dir, moderator
):
    """10,000 stations, 5% protocols rewritten between the station and the district, 30%
    observed with 3 copies each (1% with a typo): the comparison flags >= 95% of the
    rewritten observed stations and no clean observed station."""
    cfg = replace(
        SimulationConfig(n_stations=10_000, seed=2019).clean(), rewriting=0.05, coverage=0.3
    )
    sim = simulate(cfg)
    election = load_simulation(sim, election_code="acceptance")
    contest = election.contests.get()
    copies = make_copies(sim, k=3, typo_rate=0.01)
    write_simulated_copies(contest, sim, copies)
    summary = recount(contest)
    # a moderator settles the disputes (here: with the value most copies hold)
    from baqylau.tally.selectors import open_conflicts, proposed_value

    for conflict in open_conflicts(contest):
        resolve_conflict(conflict, proposed_value(conflict), "majority of copies", moderator)
    summary = recount(contest)
    assert summary.reconcile.conflict == 0
    assert summary.stations_covered == sim.observed.sum()

    station_id = dict(election.units.filter(kind="station").values_list("path", "id"))
    ids = np.array([station_id[p] for p in sim.station_paths()])
    flagged = np.isin(
        ids,
        list(
            Finding.objects.filter(contest=contest, kind="station_differs").values_list(
                "unit_id", flat=True
            )
        ),
    )
    manipulated = sim.rewriting & sim.observed
    clean = sim.observed & ~sim.manipulated
    assert manipulated.sum() >= 20
    detection = (flagged & manipulated).sum() / manipulated.sum()
    false_alarms = (flagged & clean).sum()
    print(f"acceptance: detected {detection:.1%} of {manipulated.sum()}, false {false_alarms}")
    assert detection >= 0.95
    assert false_alarms == 0
    assert summary.compare.stations_differ == (flagged & sim.observed).sum()


# -- CLI ----------------------------------------------------------------------------------------


def test_cli_recount_and_show(four_stations):
    contest, *_ = four_stations
    app = typer.Typer()
    tally_cli.register(app)
    runner = CliRunner()
    code = contest.election.code
    result = runner.invoke(app, ["tally", "recount", "--election", code, "--no-validate"])
    assert result.exit_code == 0, result.output
    assert "agreed 2" in result.output and "conflict 1" in result.output
    result = runner.invoke(app, ["tally", "show", "--election", code])
    assert result.exit_code == 0, result.output
    assert "covered 2 of 4 stations" in result.output
    result = runner.invoke(app, ["tally", "show", "--election", "nope"])
    assert result.exit_code == 1


def test_recount_keeps_findings_that_stay_true():
    """Legal cases cite findings: a finding that is still true keeps its row across recounts."""
    election, contest, country = make_election()
    district = add_unit(country, "01", "district")
    (station,) = add_stations(district, 1)
    lines, votes = protocol(1000, {"kossanov": 120, "tokayev": 380, "espayeva": 50})
    add_copy(contest, station, lines, votes)
    set_official(
        contest, station, *protocol(1000, {"kossanov": 20, "tokayev": 480, "espayeva": 50})
    )
    recount(contest)
    before = set(Finding.objects.filter(contest=contest).values_list("id", flat=True))
    recount(contest)
    assert set(Finding.objects.filter(contest=contest).values_list("id", flat=True)) == before
