"""Forensics on simulated elections with known fraud (baqylau.simulate, fixed seeds)."""

import json
from dataclasses import replace

import numpy as np
import pytest

from baqylau.forensics.data import StationArrays
from baqylau.forensics.distributions import fit_klimek
from baqylau.forensics.integer import integer_percent_excess, near_whole_percent
from baqylau.forensics.observed import observed_comparison
from baqylau.forensics.outliers import district_outliers
from baqylau.forensics.report import forensic_report
from baqylau.forensics.shpilkin import shpilkin_estimate
from baqylau.simulate.engine import SimulationConfig, simulate

N = 10_000


@pytest.fixture(scope="module")
def sims():
    base = SimulationConfig(seed=11, n_stations=N)
    stuffed = replace(base, stuffing=0.25, carousel=0.0, rewriting=0.0, inflation=0.0)
    out = {"clean": simulate(base.clean()), "default": simulate(base), "stuffed": simulate(stuffed)}
    return out, {k: StationArrays.from_simulation(v) for k, v in out.items()}


def rig_round_percentages(a: StationArrays, share: float, seed: int) -> tuple[StationArrays, int]:
    """Target-percentage rigging: a share of stations get extra leader ballots so that their
    turnout lands on the next whole percent (issued = round(p·registered/100)). Returns the new
    arrays and how many rigged stations are now exactly within ±0.05 pp."""
    rng = np.random.default_rng(seed)
    pick = rng.random(a.n_stations) < share
    reg = a.registered
    target = np.ceil(100 * a.issued / np.maximum(reg, 1)) + 1
    new_issued = np.where(pick, np.minimum(np.round(target * reg / 100), reg), a.issued).astype(int)
    extra = new_issued - a.issued
    votes = a.votes.copy()
    votes[:, a.leader] += extra
    rigged = StationArrays(
        registered=reg,
        issued=new_issued,
        received=a.received + extra,
        valid=a.valid + extra,
        invalid=a.invalid,
        votes=votes,
        choices=a.choices,
        leader=a.leader,
        units=a.units,
        observed=a.observed,
    )
    return rigged, int((pick & near_whole_percent(new_issued, reg)).sum())


def test_from_simulation(sims):
    sim_map, arrays = sims
    a, sim = arrays["default"], sim_map["default"]
    assert a.n_stations == N
    assert np.array_equal(a.registered, sim.line("L1"))
    assert np.array_equal(a.issued, sim.line("L3"))
    assert a.consistency()["received != valid + invalid"] == 0
    assert a.observed.sum() == sim.observed.sum()
    true = StationArrays.from_simulation(sim, version="true")
    assert true.leader_votes.sum() < a.leader_votes.sum()


def test_integer_excess_raised_only_by_target_rigging(sims):
    _, arrays = sims
    clean = integer_percent_excess(arrays["clean"], draws=200, seed=0)
    stuffed = integer_percent_excess(arrays["stuffed"], draws=200, seed=0)
    # binomial-like fraud (the simulator's stuffing) leaves no integer peaks
    for r in (clean, stuffed):
        assert abs(r.exact_excess) < 3.5 * r.exact_null_sd
    rigged, now_round = rig_round_percentages(arrays["clean"], 0.05, seed=1)
    assert now_round > 300
    r = integer_percent_excess(rigged, draws=200, seed=0)
    assert r.excess > 0.6 * now_round
    assert r.excess > 5 * r.null_sd and r.p_value < 0.01


def test_fingerprint_and_shpilkin_respond_to_stuffing(sims):
    """Klimek's fit finds no fraud in the clean election, and its honest model fits the stuffed
    one several times worse. It does not put this simulator's stuffing into fi or fe: the fit
    (the authors' own, on the winner's share histogram) sees fraud only as shares pushed to the
    right of a Gaussian honest part measured on the left of the peak, and this simulator's honest
    shares are left-skewed (that Gaussian already over-fills the right) while its stuffed
    stations keep moderate shares (most stay below 0.9)."""
    sim_map, arrays = sims
    fits = {k: fit_klimek(arrays[k], seed=0) for k in ("clean", "stuffed")}
    assert fits["clean"].fi + fits["clean"].fe <= 0.02
    assert fits["stuffed"].distance_clean > 3 * fits["clean"].distance_clean
    sh = {k: shpilkin_estimate(arrays[k]) for k in arrays}
    truth = int(sim_map["stuffed"].stuffed_ballots.sum())
    assert sh["clean"]["anomalous_share"] < 0.02
    assert sh["stuffed"]["anomalous_votes"] > 5 * sh["clean"]["anomalous_votes"]
    assert 0.5 * truth < sh["stuffed"]["anomalous_votes"] < 2.5 * truth


def test_outliers_enriched_in_stuffed_stations(sims):
    sim_map, arrays = sims
    sim = sim_map["default"]
    res = district_outliers(arrays["default"])
    flagged = np.nan_to_num(res["z"]["turnout"]) > 3.5
    manipulated = sim.stuffing | sim.inflation | sim.carousel
    assert flagged.sum() > 50
    assert manipulated[flagged].mean() > 3 * manipulated.mean()
    clean = district_outliers(arrays["clean"])
    assert res["flagged"]["turnout"] > clean["flagged"]["turnout"]


def test_observed_vs_unobserved(sims):
    sim_map, arrays = sims
    clean = observed_comparison(arrays["clean"], seed=0)
    lo, hi = clean["excess_leader_votes_95"]
    assert lo < 0 < hi + 0.5 * abs(hi)  # no clear effect without fraud
    assert abs(clean["leader_share_difference"]) < 0.01
    res = observed_comparison(arrays["default"], seed=0)
    sim = sim_map["default"]
    assert res["leader_share_difference"] > 0.01 and res["turnout_difference"] > 0.01
    lo, hi = res["excess_leader_votes_95"]
    assert lo > 0
    added = sim.stuffed_ballots + sim.carousel_ballots + sim.rewritten_votes + sim.inflated_ballots
    truth_unobserved = added[~sim.observed].sum()
    assert 0.4 * truth_unobserved < res["excess_leader_votes"] < 1.6 * truth_unobserved


def test_report_json_and_figures(sims, tmp_path):
    _, arrays = sims
    report = forensic_report(arrays["default"], draws=50, seed=0, figures_dir=tmp_path)
    text = json.dumps(report)
    assert "not proof" in text
    for section in ("integer_percentages", "fingerprint", "shpilkin", "digits", "outliers"):
        assert report[section]["shows"] and report[section]["cannot_show"]
    assert report["observed"]["available"]
    names = {p.split("/")[-1] for p in report["figures"]}
    for stem in (
        "turnout_histogram",
        "leader_share_histogram",
        "fingerprint",
        "integer_percentages",
    ):
        for lang in ("kk", "ru", "en"):  # every figure in every language
            assert {f"{stem}-{lang}.png", f"{stem}-{lang}.svg"} <= names
