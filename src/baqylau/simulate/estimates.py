"""The tally's estimate checked against a simulation's ground truth (pure numpy, no Django): the
leader's true share, the post-stratified estimate the tally publishes and, beside it, a ratio
estimate stratified by region only. Used by `tests/tally/test_poststratified.py` and
`bench/estimate.py`."""

from __future__ import annotations

import numpy as np

from baqylau.simulate.engine import SimulatedElection
from baqylau.tally import engine


def leader_estimates(sim: SimulatedElection) -> dict[str, float]:
    """The country's figures for the leader: ``truth`` (share of the true votes), ``post`` and
    ``post_margin`` (the tally's estimate from the observed stations' signed protocols),
    ``regions`` and ``regions_margin`` (stratified by region only), and the share of towns among
    observed and all stations (``urban_observed``, ``urban_all``)."""
    a = sim.unit_arrays()
    tree = engine.Tree.build(a["parent"], a["depth"], a["is_station"], a["registered"])
    first = int(np.flatnonzero(a["is_station"])[0])
    covered = np.zeros(tree.size, bool)
    covered[first:] = sim.observed
    votes = np.zeros((tree.size, sim.signed_votes.shape[1]), np.int64)
    votes[first:] = sim.signed_votes  # what the observers' copies say
    settlement, size = engine.station_classes(
        tree.is_station, tree.registered, a["urban"], a["abroad"], a["closed"], a["is_station"]
    )
    cell = np.where(settlement >= 0, settlement * len(engine.SIZE_CLASSES) + size, -1)
    post = engine.poststratified_estimates(tree, covered, votes, cell)
    regions = engine.ratio_estimates(tree, covered, votes)
    leader = sim.leader
    return {
        "truth": float(sim.true_votes[:, leader].sum() / sim.true_votes.sum()),
        "post": float(post.share[0, leader]),
        "post_margin": float(post.margin[0, leader]),
        "regions": float(regions.share[0, leader]),
        "regions_margin": float(regions.margin[0, leader]),
        "urban_observed": float(sim.station_urban[sim.observed].mean()),
        "urban_all": float(sim.station_urban.mean()),
    }


def contains(row: dict[str, float], key: str) -> bool:
    """Whether the interval of estimate ``key`` ("post" or "regions") contains the truth."""
    return abs(row[key] - row["truth"]) <= row[f"{key}_margin"]


def summary(rows: list[dict[str, float]]) -> str:
    """Coverage, mean error and mean margin of both estimates, in words."""
    n = len(rows)
    lines = [
        f"towns are {np.mean([r['urban_observed'] for r in rows]):.0%} of observed stations "
        f"against {np.mean([r['urban_all'] for r in rows]):.0%} of all"
    ]
    for key, name in (("post", "post-stratified"), ("regions", "regions only   ")):
        hits = sum(contains(r, key) for r in rows)
        error = np.mean([r[key] - r["truth"] for r in rows]) * 100
        margin = np.mean([r[f"{key}_margin"] for r in rows]) * 100
        lines.append(
            f"  {name}: interval contains the true share in {hits}/{n}, "
            f"mean error {error:+.2f} points, mean margin ±{margin:.2f}"
        )
    return "\n".join(lines)
