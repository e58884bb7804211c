"""The pure core of the tally: reconciliation, counting up the tree, comparison, estimate."""

import numpy as np
import pytest

from baqylau.simulate.copies import make_copies
from baqylau.simulate.engine import LINES, SimulationConfig, simulate
from baqylau.tally import engine


def sim_tree(sim) -> tuple[engine.Tree, int]:
    """country → regions → districts → stations, stations last (offset returned)."""
    r, d, n = sim.n_regions, sim.n_districts, sim.n_stations
    parent = np.concatenate(
        [[-1], np.zeros(r, int), 1 + sim.district_region, 1 + r + sim.station_district]
    )
    depth = np.concatenate([[0], np.ones(r, int), np.full(d, 2), np.full(n, 3)])
    is_station = np.concatenate([np.zeros(1 + r + d, bool), np.ones(n, bool)])
    registered = np.concatenate([np.zeros(1 + r + d, int), sim.registered])
    return engine.Tree.build(parent, depth, is_station, registered), 1 + r + d


# -- reconciliation -----------------------------------------------------------------------------


def test_copies_that_agree_give_the_station_figures():
    station = [7, 7, 3]
    lines = [[100, 60], [100, 60], [50, 20]]
    votes = [[40, 20], [40, 20], [15, 5]]
    rec = engine.reconcile(station, lines, votes)
    assert rec.station.tolist() == [3, 7]
    assert rec.lines.tolist() == [[50, 20], [100, 60]]
    assert rec.votes.tolist() == [[15, 5], [40, 20]]
    assert not rec.has_conflict.any()
    assert rec.copies_count.tolist() == [1, 2]
    assert sorted(rec.copy_rows(1).tolist()) == [0, 1]


def test_disagreement_is_a_conflict_per_line_and_choice_with_every_copy_value():
    station = [1, 1, 1]
    lines = [[100, 60], [100, 66], [100, 60]]
    votes = [[40, 20], [40, 20], [41, 20]]
    rec = engine.reconcile(station, lines, votes, copy_key=[11, 12, 13])
    assert rec.line_conflict.tolist() == [[False, True]]
    assert rec.vote_conflict.tolist() == [[True, False]]
    assert rec.values.tolist() == [[100, -1, -1, 20]]
    cells = list(engine.conflict_cells(rec, np.array(lines), np.array(votes)))
    assert [(c.column, c.values, c.proposal) for c in cells] == [
        (1, (60, 66, 60), 60),
        (2, (40, 40, 41), 40),
    ]


def test_a_missing_figure_is_not_a_conflict():
    rec = engine.reconcile([5, 5], [[100, -1], [100, 70]], [[1], [-1]])
    assert not rec.has_conflict.any()
    assert rec.values.tolist() == [[100, 70, 1]]
    assert engine.majority([3, 4]) is None  # a tie proposes nothing
    assert engine.majority([3, None, 3, 4]) == 3


def test_reconcile_handles_no_copies():
    rec = engine.reconcile(np.zeros(0), np.zeros((0, 7)), np.zeros((0, 3)))
    assert rec.n_stations == 0 and rec.values.shape == (0, 10)


def test_simulated_copies_are_the_signed_protocol_with_one_digit_typos():
    sim = simulate(SimulationConfig(n_stations=2000, seed=5))
    copies = make_copies(sim, k=3, typo_rate=0.05, seed=1)
    assert copies.size == 3 * sim.observed.sum()
    assert copies.line_codes == LINES
    clean = ~copies.typo
    assert (copies.lines[clean] == sim.signed_lines[copies.station[clean]]).all()
    assert (copies.votes[clean] == sim.signed_votes[copies.station[clean]]).all()
    signed = np.concatenate([sim.signed_lines, sim.signed_votes], axis=1)[copies.station]
    got = np.concatenate([copies.lines, copies.votes], axis=1)
    changed = (got != signed).sum(axis=1)
    assert (changed[copies.typo] == 1).all()
    assert (got >= 0).all()
    rec = engine.reconcile(copies.station, copies.lines, copies.votes)
    assert rec.has_conflict.sum() == np.unique(copies.station[copies.typo]).size


def taking(station, sender, passed, accepted=None, rejected=None, key=None):
    n = len(station)
    return engine.taking_part(
        np.array(station),
        np.array(sender),
        np.arange(n) if key is None else np.array(key),
        passed=np.array(passed, bool),
        accepted=np.zeros(n, bool) if accepted is None else np.array(accepted, bool),
        rejected=np.zeros(n, bool) if rejected is None else np.array(rejected, bool),
    ).tolist()


def test_copies_that_passed_the_checks_take_part():
    assert taking([1, 1, 2], [0, 1, 2], passed=[True, False, True]) == [True, False, True]
    assert taking([], [], passed=[]) == []


def test_a_senders_latest_copy_replaces_their_earlier_ones():
    # sender 0 sent three copies to station 1; only the latest (largest key) counts, and only
    # if it passed: a failed correction does not bring back the earlier copy
    assert taking([1, 1, 1, 1], [0, 0, 0, 5], passed=[True] * 4, key=[10, 30, 20, 5]) == [
        False,
        True,
        False,
        True,
    ]
    assert taking([1, 1], [0, 0], passed=[True, False]) == [False, False]
    # the same sender at two stations: one latest copy per station
    assert taking([1, 2], [0, 0], passed=[True, True]) == [True, True]


def test_a_moderators_decision_overrides_the_checks():
    # rejected never takes part; accepted always does, even a copy that failed the checks,
    # and then it alone decides its station (the other station is untouched)
    assert taking(
        [1, 1, 1, 2, 2],
        [0, 1, 2, 3, 4],
        passed=[True, False, True, True, True],
        accepted=[False, True, False, False, False],
        rejected=[False, False, False, True, False],
    ) == [False, True, False, False, True]
    # an accepted earlier copy of a sender still counts next to a later one that is not decided
    assert taking([1, 1], [0, 0], passed=[True, True], accepted=[True, False], key=[1, 2]) == [
        True,
        False,
    ]


# -- count, comparison -------------------------------------------------------------------------


def small_tree():
    # 0 country; 1, 2 districts; 3, 4 stations of 1; 5 station of 2
    return engine.Tree.build(
        parent=[-1, 0, 0, 1, 1, 2],
        depth=[0, 1, 1, 2, 2, 2],
        is_station=[False, False, False, True, True, True],
        registered=[0, 0, 0, 1000, 800, 500],
    )


def test_count_up_the_tree_from_covered_stations():
    tree = small_tree()
    covered = np.array([0, 0, 0, 1, 0, 1], bool)
    lines = np.full((6, 2), -1)
    lines[3], lines[5] = [1000, 600], [500, 300]  # L1, L5
    votes = np.full((6, 2), -1)
    votes[3], votes[5] = [400, 190], [100, 195]
    c = engine.count_up(tree, covered, lines, votes, took_part=[1], registered_line=0)
    assert c.stations_total.tolist() == [3, 2, 1, 1, 1, 1]
    assert c.stations_covered.tolist() == [2, 1, 1, 1, 0, 1]
    assert c.registered_total[0] == 2300 and c.registered_covered[0] == 1500
    assert c.votes[0].tolist() == [500, 385]
    assert c.lines[1].tolist() == [1000, 600]
    assert c.turnout[0] == pytest.approx(900 / 1500)
    assert c.shares[0].tolist() == pytest.approx([500 / 885, 385 / 885])
    assert np.isnan(c.turnout[4])


def test_subset_exceeding_the_official_total_and_parts_that_do_not_sum():
    tree = small_tree()
    official = np.array([[900], [700], [200], [400], [300], [200]])
    assert not engine.parts_check(tree, official).mismatch.any()
    official[0, 0] = 950  # the country total is not the sum of its districts
    check = engine.parts_check(tree, official)
    assert check.mismatch[:, 0].tolist() == [True, False, False, False, False, False]
    assert check.parts_sum[0, 0] == 900 and check.parts[0] == "children"
    observed = np.array([[960], [0], [0], [0], [0], [0]])
    assert engine.subset_exceeds(observed, official)[:, 0].tolist()[0] is True


def test_parts_fall_back_to_stations_when_children_have_no_official_figures():
    tree = small_tree()
    official = np.array([[950], [-1], [-1], [400], [300], [200]])
    check = engine.parts_check(tree, official)
    assert check.mismatch[0, 0] and check.parts[0] == "stations" and check.parts_sum[0, 0] == 900


# -- estimate ----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ratio_estimate_covers_the_true_share_when_coverage_is_random(seed):
    cfg = SimulationConfig(n_stations=10_000, seed=seed, coverage_urban_ratio=1.0).clean()
    sim = simulate(cfg)
    tree, offset = sim_tree(sim)
    covered = np.zeros(tree.size, bool)
    covered[offset:] = sim.observed
    votes = np.zeros((tree.size, sim.choice_code.size), np.int64)
    votes[offset:] = sim.signed_votes
    est = engine.ratio_estimates(tree, covered, votes)
    true = sim.true_votes.sum(axis=0)
    share = true / true.sum()
    assert est.stratified[0] and est.strata_used[0] == sim.n_regions
    assert (np.abs(est.share[0] - share) <= est.margin[0]).all()
    assert 0 < est.margin[0, sim.leader] < 0.01
    # regions are estimated too (stratified by district)
    assert np.isfinite(est.share[1 : 1 + sim.n_regions]).all()


def test_non_random_coverage_biases_the_estimate_beyond_its_margin():
    """Why estimates are stored with random_sample=False: towns are over-observed and vote less
    for the leader, so the interval misses the truth although the election is clean."""
    sim = simulate(SimulationConfig(n_stations=10_000, seed=0).clean())
    tree, offset = sim_tree(sim)
    covered = np.zeros(tree.size, bool)
    covered[offset:] = sim.observed
    votes = np.zeros((tree.size, sim.choice_code.size), np.int64)
    votes[offset:] = sim.signed_votes
    est = engine.ratio_estimates(tree, covered, votes)
    true = sim.true_votes.sum(axis=0)
    assert est.share[0, sim.leader] + est.margin[0, sim.leader] < true[sim.leader] / true.sum()
    assert "not a random sample" in engine.NOT_RANDOM_LABEL


def test_second_round_verdict():
    assert engine.second_round_verdict(0.46, 0.02, 0.5) == "due"
    assert engine.second_round_verdict(0.55, 0.02, 0.5) == "not_due"
    assert engine.second_round_verdict(0.49, 0.02, 0.5) == "undecided"
    assert engine.second_round_verdict(float("nan"), 0.02, 0.5) == "undecided"


def test_turnout_lines_by_form():
    assert engine.turnout_lines("kz_president") == (("L5",), "L1")
    assert engine.turnout_lines("ru_uik") == (("L3", "L4", "L5"), "L1")
    assert engine.turnout_lines("unknown") == engine.DEFAULT_TURNOUT


def test_engine_imports_no_django():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(engine))
    names = [
        alias.name if isinstance(node, ast.Import) else node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [None])
    ]
    assert not any(str(n).startswith("django") for n in names)
