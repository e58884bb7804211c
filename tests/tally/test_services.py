"""The tally against the database: reconciliation, moderators' resolutions, the count up the tree,
the comparison at every level, the estimate, the incremental recount kept current by the jobs,
and the acceptance test on a simulated election."""

from dataclasses import replace

import numpy as np
import pytest
import typer
from django.contrib.auth import get_user_model
from typer.testing import CliRunner

from baqylau.elections.models import Choice
from baqylau.evidence.models import LedgerEntry
from baqylau.jobs.worker import run_until_idle
from baqylau.moderation.services import decision_create
from baqylau.observers.models import AuditEvent
from baqylau.protocols.services import election_policy_set
from baqylau.simulate.copies import make_copies
from baqylau.simulate.engine import SimulationConfig, simulate
from baqylau.simulate.intake import submit_copies
from baqylau.simulate.loader import load_simulation
from baqylau.tally import cli as tally_cli
from baqylau.tally.models import (
    Conflict,
    Estimate,
    Finding,
    PendingRecount,
    StationResult,
    UnitCount,
)
from baqylau.tally.reconciliation import reconcile
from baqylau.tally.services import mark_stations, recount, recount_pending, resolve_conflict

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


def result_of(contest, station) -> StationResult:
    return StationResult.objects.get(contest=contest, station=station)


# -- reconciliation ----------------------------------------------------------------------------


@pytest.fixture
def four_stations():
    """A: three agreeing copies; B: three copies that disagree on L8 and on Tokayev; C: a copy,
    the same figures accepted by a moderator, and a typo a moderator rejected; D: one copy that
    failed the checks."""
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
        "d": [add_copy(contest, d, {**lines, "L5": 1}, votes, checks="failed")],
    }
    return contest, (a, b, c, d), copies, lines, votes


def test_agreeing_copies_become_the_observed_result(four_stations):
    contest, (a, b, c, d), copies, lines, votes = four_stations
    summary, observed = reconcile(contest)
    assert (summary.stations, summary.agreed, summary.conflict, summary.resolved) == (3, 1, 1, 1)
    assert (summary.copies, summary.copies_used) == (10, 7)
    result = result_of(contest, a)
    assert result.status == "agreed" and result.settled and result.copies_count == 3
    assert figures(result) == (lines, votes)
    assert set(result.copies.values_list("pk", flat=True)) == {x.pk for x in copies["a"]}
    # a moderator accepted a copy of C: only the accepted copy takes part, and C is settled by
    # the decision; the rejected one never takes part
    result_c = result_of(contest, c)
    assert result_c.status == "resolved" and result_c.settled
    assert result_c.copy_ids == [copies["c"][1].pk]
    assert figures(result_c) == (lines, votes)
    # D's only copy failed the checks and waits for a moderator: it does not take part
    assert not StationResult.objects.filter(contest=contest, station=d).exists()
    assert sorted(observed.station_id.tolist()) == sorted([a.pk, b.pk, c.pk])


def test_disagreeing_copies_are_listed_per_line_and_choice(four_stations):
    contest, (a, b, c, d), copies, lines, votes = four_stations
    reconcile(contest)
    result = result_of(contest, b)
    assert result.status == "conflict" and not result.settled
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

    from baqylau.tally.selectors import proposed_value

    assert sorted(proposed_value(x) for x in result.conflicts.all()) == [400, lines["L8"]]


def test_a_single_copy_waits_and_is_counted_only_by_the_policy():
    election, contest, country = make_election()
    (station,) = add_stations(add_unit(country, "01", "district"), 1)
    lines, votes = protocol(1000, {"kossanov": 100, "tokayev": 400, "espayeva": 50})
    add_copy(contest, station, lines, votes, sender="obs-1")
    summary, _ = reconcile(contest)
    assert summary.single == 1
    assert result_of(contest, station).status == "single"
    assert not result_of(contest, station).settled
    assert recount(contest).stations_covered == 0  # a single copy is not counted

    # the same sender again (a resend or a correction) is still one sender
    add_copy(contest, station, lines, votes, sender="obs-1")
    reconcile(contest)
    assert result_of(contest, station).status == "single"

    election_policy_set(election=election, auto_accept_valid=True)
    summary = recount(contest)
    assert summary.reconcile.checked == 1
    assert result_of(contest, station).status == "checked" and result_of(contest, station).settled
    assert summary.stations_covered == 1


def test_a_senders_latest_copy_replaces_their_earlier_one():
    election, contest, country = make_election()
    (station,) = add_stations(add_unit(country, "01", "district"), 1)
    lines, votes = protocol(1000, {"kossanov": 100, "tokayev": 400, "espayeva": 50})
    add_copy(contest, station, {**lines, "L2": 999}, votes, sender="obs-1")  # a typo
    corrected = add_copy(contest, station, lines, votes, sender="obs-1")
    other = add_copy(contest, station, lines, votes, sender="obs-2")
    reconcile(contest)
    result = result_of(contest, station)
    assert result.status == "agreed"  # two senders agree; the typo was replaced
    assert sorted(result.copy_ids) == sorted([corrected.pk, other.pk])
    assert not Conflict.objects.exists()


def test_a_moderator_resolves_conflicts_and_recount_keeps_the_decision(four_stations, moderator):
    contest, (a, b, c, d), copies, lines, votes = four_stations
    recount(contest)
    line_conflict = Conflict.objects.get(result__station=b, line="L8")
    vote_conflict = Conflict.objects.get(result__station=b, choice__code="tokayev")
    with pytest.raises(ValueError):
        resolve_conflict(line_conflict, lines["L8"], "", moderator)
    with pytest.raises(ValueError):
        resolve_conflict(line_conflict, -1, "a reason", moderator)

    resolved = resolve_conflict(line_conflict, lines["L8"], "page 2 is legible", moderator)
    assert resolved.resolved_value == lines["L8"] and resolved.resolved_by == moderator
    # the station is marked and recounted by the job, not inline
    assert PendingRecount.objects.filter(contest=contest, station=b).exists()
    assert result_of(contest, b).status == "conflict"
    run_until_idle()
    assert not PendingRecount.objects.exists()
    assert result_of(contest, b).status == "conflict"  # the vote conflict is still open

    # the recount rebuilt the station's conflict rows (the open one has a new id)
    assert not Conflict.objects.filter(pk=vote_conflict.pk).exists()
    vote_conflict = Conflict.objects.get(result__station=b, choice__code="tokayev")
    resolve_conflict(vote_conflict, 400, "two copies and the photo agree", moderator)
    run_until_idle()
    result = result_of(contest, b)
    assert result.status == "resolved" and result.settled
    assert figures(result) == (lines, votes)
    # each decision is audited, in the ledger
    events = AuditEvent.objects.filter(action="tally.conflict.resolve")
    assert events.count() == 2
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.DECISION).count() == 2
    assert UnitCount.objects.get(contest=contest, unit=b).results == {
        **dict.fromkeys(("agreed", "single", "conflict", "checked"), 0),
        "resolved": 1,
    }

    summary = recount(contest)
    assert summary.reconcile.resolutions_kept == 2 and summary.reconcile.resolved == 2
    result = result_of(contest, b)
    assert result.status == "resolved" and figures(result) == (lines, votes)
    kept = Conflict.objects.get(result=result, line="L8")
    assert kept.resolved_by == moderator and kept.resolution_reason == "page 2 is legible"


def test_reconcile_one_station_incrementally(four_stations):
    contest, (a, b, c, d), copies, lines, votes = four_stations
    reconcile(contest)
    before = result_of(contest, a).pk
    untouched = result_of(contest, b).pk
    add_copy(contest, a, {**lines, "L2": lines["L2"] + 1}, votes)
    summary, observed = reconcile(contest, stations=[a.pk])
    assert summary.stations == 1 and observed.station_id.tolist() == [a.pk]
    result = result_of(contest, a)
    assert result.status == "conflict" and result.copies_count == 4
    assert result.pk != before
    assert result_of(contest, b).pk == untouched  # untouched
    assert StationResult.objects.filter(contest=contest).count() == 3


# -- count and comparison ----------------------------------------------------------------------


def test_count_up_the_tree(four_stations):
    contest, (a, b, c, d), copies, lines, votes = four_stations
    recount(contest)
    country_count = UnitCount.objects.get(contest=contest, unit__kind="country")
    # A (agreed) and C (resolved) are settled; B's copies disagree, D has no copy taking part
    assert (country_count.stations_total, country_count.stations_covered) == (4, 2)
    assert country_count.registered_total == 4000 and country_count.registered_covered == 2000
    assert country_count.lines["L5"] == 2 * lines["L5"]
    tokayev = str(contest.choices.get(code="tokayev").pk)
    assert country_count.votes[tokayev] == 800
    assert country_count.shares[tokayev] == pytest.approx(400 / 550, abs=1e-6)
    assert country_count.turnout == pytest.approx(lines["L5"] / 1000)
    assert country_count.results == {
        "agreed": 1,
        "single": 0,
        "conflict": 1,
        "resolved": 1,
        "checked": 0,
    }
    # waiting: B's three copies (station not settled) and D's failed copy
    assert country_count.copies == {
        "received": 10,
        "passed": 9,
        "failed": 1,
        "accepted": 1,
        "rejected": 1,
        "waiting": 4,
    }
    # a count for every unit: country, district and each station
    assert UnitCount.objects.filter(contest=contest).count() == 6
    station_b = UnitCount.objects.get(contest=contest, unit=b)
    assert station_b.stations_covered == 0 and station_b.results["conflict"] == 1


def test_station_official_figure_differs_from_the_signed_copies():
    election, contest, country = make_election()
    district = add_unit(country, "01", "district")
    (station,) = add_stations(district, 1)
    lines, votes = protocol(1000, {"kossanov": 120, "tokayev": 380, "espayeva": 50})
    copies = [add_copy(contest, station, lines, votes) for _ in range(3)]
    off_lines, off_votes = protocol(1000, {"kossanov": 20, "tokayev": 480, "espayeva": 50})
    official = set_official(contest, station, off_lines, off_votes)
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
    assert set(found["tokayev"].details["message"]) == {"kk", "ru", "en"}
    # every finding names the evidence it rests on
    evidence = found["tokayev"].details["evidence"]
    assert sorted(evidence["copies"]) == sorted(c.pk for c in copies)
    assert evidence["official_result"] == official.pk
    assert evidence["decisions"] == [] and evidence["conflicts"] == []
    assert UnitCount.objects.get(contest=contest, unit=country).findings == {"station_differs": 1}


def test_a_station_that_is_not_settled_is_never_compared():
    """Copies that disagree, or a single copy, make no claim about the official result."""
    election, contest, country = make_election()
    district = add_unit(country, "01", "district")
    disputed, single = add_stations(district, 2)
    lines, votes = protocol(1000, {"kossanov": 120, "tokayev": 380, "espayeva": 50})
    add_copy(contest, disputed, lines, votes)
    add_copy(contest, disputed, {**lines, "L7": 10}, {**votes, "kossanov": 12})  # a typo
    add_copy(contest, single, lines, votes)
    off = protocol(1000, {"kossanov": 20, "tokayev": 480, "espayeva": 50})
    set_official(contest, disputed, *off)
    set_official(contest, single, *off)
    summary = recount(contest)
    assert summary.compare.stations_differ == 0
    assert not Finding.objects.filter(kind="station_differs").exists()
    assert result_of(contest, disputed).status == "conflict"
    assert result_of(contest, single).status == "single"


def test_almaty_2019_observed_subset_exceeds_the_official_city_total():
    """Copies from 225 of Almaty's 554 stations give Kossanov 69,669 votes; the official total
    for the whole city is 50,366. (One copy per station, counted by the election's policy.)"""
    election, contest, country = make_election()
    election_policy_set(election=election, auto_accept_valid=True)
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
    official = set_official(contest, almaty, off_lines, off_votes)
    summary = recount(contest)
    assert summary.reconcile.checked == 225
    assert summary.compare.subset_exceeds_total == 1
    finding = Finding.objects.get(contest=contest, kind="subset_exceeds_total")
    assert finding.unit == almaty and finding.choice.code == "kossanov"
    assert (finding.observed, finding.official) == (69_669, 50_366)
    assert finding.details["stations_covered"] == 225
    assert finding.details["stations_total"] == 554
    assert finding.details["evidence"]["official_result"] == official.pk
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
    summary = recount(contest)
    assert summary.no_copies  # an official election alone is counted without a crash
    found = Finding.objects.filter(contest=contest, kind="parts_do_not_sum")
    kinds = {(f.line, f.choice.code if f.choice else None) for f in found}
    # tokayev +500, and therefore L3, L5 (took part) and L8 do not add up either
    assert ("", "tokayev") in kinds and ("L5", None) in kinds
    tokayev = found.get(choice__code="tokayev")
    assert (tokayev.official, tokayev.observed, tokayev.unit) == (3500, 3000, country)
    assert tokayev.details["complete"] is True
    assert summary.compare.parts_do_not_sum == len(kinds)


def test_official_figures_that_break_the_protocols_relations():
    election, contest, country = make_election()
    (station,) = add_stations(add_unit(country, "01", "district"), 1)
    lines, votes = protocol(1000, {"kossanov": 100, "tokayev": 400, "espayeva": 50})
    set_official(contest, station, {**lines, "L5": lines["L5"] + 200}, votes)
    summary = recount(contest)
    assert summary.compare.official_inconsistent == 1
    finding = Finding.objects.get(contest=contest, kind="official_inconsistent")
    assert finding.unit == station and finding.details["relations"]
    assert set(finding.details["message"]) == {"kk", "ru", "en"}


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
            for _ in range(2):  # two observers agree: the station is settled
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


# -- the incremental recount -------------------------------------------------------------------


def _snapshot(contest) -> dict:
    """Everything a recount writes, without row ids and times."""
    counts = {
        row["unit_id"]: row
        for row in UnitCount.objects.filter(contest=contest).values(
            "unit_id",
            "stations_total",
            "stations_covered",
            "registered_total",
            "registered_covered",
            "lines",
            "votes",
            "shares",
            "turnout",
            "official",
            "announced",
            "official_at_covered",
            "results",
            "copies",
            "findings",
        )
    }
    findings = sorted(
        (f.unit_id, f.kind, f.line, f.choice_id or 0, f.observed, f.official, repr(f.details))
        for f in Finding.objects.filter(contest=contest)
    )
    estimates = sorted(
        Estimate.objects.filter(contest=contest).values_list(
            "unit_id", "choice_id", "share", "margin", "stations_used"
        )
    )
    results = sorted(
        StationResult.objects.filter(contest=contest).values_list(
            "station_id", "status", "copies_count"
        )
    )
    return {"counts": counts, "findings": findings, "estimates": estimates, "results": results}


def test_an_incremental_recount_writes_what_a_full_recount_writes(moderator):
    election, contest, country = make_election()
    stations = []
    for region_code in ("01", "02"):
        region = add_unit(country, region_code, "region")
        for district_code in ("1", "2"):
            district = add_unit(region, region_code + district_code, "district")
            stations += add_stations(district, 3)
    lines, votes = protocol(1000, {"kossanov": 120, "tokayev": 380, "espayeva": 50})
    off = protocol(1000, {"kossanov": 20, "tokayev": 480, "espayeva": 50})
    for station in stations[:8]:
        add_copy(contest, station, lines, votes)
        add_copy(contest, station, lines, votes)
        set_official(contest, station, *(off if station in stations[:2] else (lines, votes)))
    recount(contest)

    # new copies at two stations of one district, a decision at a third, an official total
    changed = [stations[8], stations[9], stations[0]]
    add_copy(contest, stations[8], lines, votes)
    add_copy(contest, stations[8], lines, votes)
    add_copy(contest, stations[9], lines, votes)
    add_copy(contest, stations[9], {**lines, "L7": 3}, {**votes, "espayeva": 47})
    add_copy(contest, stations[0], off[0], off[1], moderation="accepted")
    summary = recount(contest, stations=[s.pk for s in changed])
    assert summary.stations_recounted == 3
    assert set(summary.unit_ids) >= {s.pk for s in changed} | {country.pk}
    assert stations[5].pk not in summary.unit_ids  # a station that did not change
    incremental = _snapshot(contest)

    full = recount(contest)
    assert full.stations_recounted is None
    assert _snapshot(contest) == incremental
    # and what changed is there: station 0 settled by the moderator on the official figures
    assert result_of(contest, stations[0]).status == "resolved"
    assert not Finding.objects.filter(unit=stations[0]).exists()
    assert result_of(contest, stations[9]).status == "conflict"


def test_marked_stations_are_recounted_by_the_job(four_stations):
    contest, (a, b, c, d), copies, lines, votes = four_stations
    recount(contest)
    add_copy(contest, d, lines, votes)
    add_copy(contest, d, lines, votes)
    mark_stations(contest.pk, [d.pk])
    assert PendingRecount.objects.filter(contest=contest, station=d).exists()
    assert run_until_idle() >= 1
    assert not PendingRecount.objects.exists()
    assert result_of(contest, d).status == "agreed"
    assert UnitCount.objects.get(contest=contest, unit__kind="country").stations_covered == 3
    assert recount_pending(contest) is None  # nothing left to do


def _estimates(contest) -> list[tuple]:
    return sorted(
        (e.unit_id, e.choice_id, round(e.share, 9), round(e.margin, 9))
        for e in Estimate.objects.filter(contest=contest)
    )


def test_the_estimates_follow_the_recount_in_a_job_of_their_own(four_stations):
    """The recount after a copy or a decision leaves the estimate to one job, queued once however
    many recounts run before it starts, which writes what a full recount writes."""
    from django_tasks_db.models import DBTaskResult

    from baqylau.tally.tasks import recount_pending as recount_job

    contest, (a, b, c, d), copies, lines, votes = four_stations
    recount(contest)
    add_copy(contest, d, lines, votes)
    mark_stations(contest.pk, [d.pk])
    recount_job.call(contest.pk)
    add_copy(contest, d, lines, votes)
    mark_stations(contest.pk, [d.pk])
    recount_job.call(contest.pk)
    waiting = DBTaskResult.objects.ready().filter(task_path__endswith="refresh_estimates")
    assert [r.args_kwargs["args"] for r in waiting] == [[contest.pk]]
    assert run_until_idle() >= 1
    assert result_of(contest, d).status == "agreed"
    after_jobs = _estimates(contest)
    assert after_jobs  # the estimates are there
    recount(contest)
    assert _estimates(contest) == after_jobs


# -- the acceptance test -----------------------------------------------------------------------


def test_acceptance_simulated_election_flags_rewritten_stations_and_no_clean_one(
    data_dir, moderator
):
    """10,000 stations, 5% protocols rewritten between the station and the district, 30%
    observed with 3 copies each (1% with a typo), sent through the intake: the comparison flags
    >= 95% of the rewritten observed stations and no clean observed station."""
    cfg = replace(
        SimulationConfig(n_stations=10_000, seed=2019).clean(), rewriting=0.05, coverage=0.3
    )
    sim = simulate(cfg)
    election = load_simulation(sim, election_code="acceptance")
    contest = election.contests.get()
    copies = make_copies(sim, k=3, typo_rate=0.01)
    assert submit_copies(contest, sim, copies) == copies.size
    recount(contest)
    # a moderator settles the disputes (here: with the value most copies hold)
    from baqylau.tally.selectors import proposed_value

    for conflict in Conflict.objects.filter(result__contest=contest, resolved_value=None):
        resolve_conflict(conflict, proposed_value(conflict), "majority of copies", moderator)
    # and accepts the copy left alone where typos made the other copies fail the checks
    for result in StationResult.objects.filter(contest=contest, status="single"):
        decision_create(copy=result.copies.get(), moderator=moderator, verdict="accept")
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


def cli() -> tuple[typer.Typer, CliRunner]:
    app = typer.Typer()
    tally_cli.register(app)
    return app, CliRunner()


def test_cli_recount_and_show(four_stations):
    contest, *_ = four_stations
    app, runner = cli()
    code = contest.election.code
    result = runner.invoke(app, ["tally", "recount", "--election", code])
    assert result.exit_code == 0, result.output
    assert "agreed 1" in result.output and "copies disagree 1" in result.output
    assert "settled by a moderator 1" in result.output
    assert "counted (settled) 2 of 4 stations" in result.output
    result = runner.invoke(app, ["tally", "show", "--election", code])
    assert result.exit_code == 0, result.output
    assert "covered 2 of 4 stations" in result.output
    result = runner.invoke(app, ["tally", "show", "--election", "nope"])
    assert result.exit_code == 1


def test_cli_recount_of_an_election_with_no_copies_says_so():
    election, contest, country = make_election()
    (station,) = add_stations(add_unit(country, "01", "district"), 1)
    set_official(contest, station, *protocol(1000, {"kossanov": 1, "tokayev": 2, "espayeva": 3}))
    app, runner = cli()
    result = runner.invoke(app, ["tally", "recount", "--election", election.code])
    assert result.exit_code == 0, result.output
    assert "no copies" in result.output
    assert "counted (settled) 0 of 1 stations" in result.output


def test_recount_keeps_findings_that_stay_true():
    """Legal cases cite findings: a finding that is still true keeps its row across recounts."""
    election, contest, country = make_election()
    district = add_unit(country, "01", "district")
    (station,) = add_stations(district, 1)
    lines, votes = protocol(1000, {"kossanov": 120, "tokayev": 380, "espayeva": 50})
    add_copy(contest, station, lines, votes)
    add_copy(contest, station, lines, votes)
    set_official(
        contest, station, *protocol(1000, {"kossanov": 20, "tokayev": 480, "espayeva": 50})
    )
    recount(contest)
    before = set(Finding.objects.filter(contest=contest).values_list("id", flat=True))
    assert before
    recount(contest)
    recount(contest, stations=[station.pk])
    assert set(Finding.objects.filter(contest=contest).values_list("id", flat=True)) == before


def test_a_finding_keeps_its_row_when_its_figures_change():
    """A corrected official result changes the finding's figures, not its identity: the legal
    case that cites it still cites it (and reads the new figures)."""
    election, contest, country = make_election()
    district = add_unit(country, "01", "district")
    (station,) = add_stations(district, 1)
    lines, votes = protocol(1000, {"kossanov": 120, "tokayev": 380, "espayeva": 50})
    add_copy(contest, station, lines, votes)
    add_copy(contest, station, lines, votes)
    official = set_official(
        contest, station, *protocol(1000, {"kossanov": 20, "tokayev": 480, "espayeva": 50})
    )
    recount(contest)
    tokayev = Finding.objects.get(contest=contest, unit=station, choice__code="tokayev")
    assert (tokayev.observed, tokayev.official) == (380, 480)
    official.votes.filter(choice__code="tokayev").update(votes=470)
    recount(contest)
    again = Finding.objects.get(contest=contest, unit=station, choice__code="tokayev")
    assert again.pk == tokayev.pk
    assert (again.observed, again.official) == (380, 470)
    assert "470" in again.details["message"]["en"]
    # and a finding that no longer holds is gone
    official.votes.filter(choice__code="tokayev").update(votes=380)
    recount(contest)
    assert not Finding.objects.filter(contest=contest, choice__code="tokayev").exists()


def test_a_line_no_counted_station_gives_is_unknown_not_zero():
    """The count of a unit names only the lines and choices some counted station gives: an
    unknown figure is never stored (or shown) as 0."""
    election, contest, country = make_election()
    district = add_unit(country, "01", "district")
    (station,) = add_stations(district, 1)
    lines, votes = protocol(1000, {"kossanov": 120, "tokayev": 380, "espayeva": 50})
    del lines["L4"]
    add_copy(contest, station, lines, votes)
    add_copy(contest, station, lines, votes)
    official_lines = {k: v for k, v in lines.items() if k not in ("L2", "L8")}
    set_official(contest, station, official_lines, votes)
    recount(contest)
    count = UnitCount.objects.get(contest=contest, unit=country)
    assert "L4" not in count.lines and count.lines["L5"] == lines["L5"]
    assert "L2" not in count.official["lines"] and "L8" not in count.official["lines"]
    assert count.official["lines"]["L1"] == 1000
    assert "L2" not in count.official_at_covered["lines"]
    # a unit with no counted station: nothing is known, nothing is 0
    empty_district = add_unit(country, "02", "district")
    add_stations(empty_district, 1)
    recount(contest)
    empty = UnitCount.objects.get(contest=contest, unit=empty_district)
    assert empty.lines == {} and empty.votes == {}
