"""Observed vs unobserved stations within the same district, and an extrapolated excess.

Where independent observers (or optical scanners, as in Kobak & Pshenichnikov's analysis of
Russian elections) make falsification harder, the *trusted* stations of a district show what
the district's other stations would have reported. Comparing within districts removes most
geographic differences; the remaining gap in turnout and leader share is a sign of
manipulation where observers were absent.

Extrapolation: in each district with both kinds of station, the leader's votes per registered
voter at observed stations, times the registered voters of the unobserved stations, gives the
expected leader votes there; the excess is what was reported above that (the same for ballots
issued). The interval is a station-level Poisson bootstrap within districts (stations
re-weighted by Poisson(1) draws; all replicates vectorised with `np.add.reduceat`).

What it cannot show: observers are not placed at random (towns, accessible stations, stations
whose commissions accept them), so part of the gap can be selection, not fraud; fraud at
observed stations or after the station (aggregation) is missed. A sign, not proof.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from baqylau.forensics.data import StationArrays


def observed_comparison(
    arrays: StationArrays,
    *,
    observed: np.ndarray | None = None,
    level: str | None = None,
    boot: int = 200,
    seed: int = 0,
    batch: int = 50,
) -> dict[str, Any]:
    """Compare observed with unobserved stations district by district (see module docstring).

    `observed` defaults to `arrays.observed`. Returns pooled turnout and leader share of both
    groups in the districts that have both, the district-weighted differences, and the excess
    leader votes / ballots at unobserved stations with 95 % bootstrap intervals.
    """
    obs = arrays.observed if observed is None else np.asarray(observed, dtype=bool)
    if obs is None or not obs.any():
        return {
            "available": False,
            "reason_code": "no_observers",
            "reason": "no station is known to have had observers (no placement, no copy)",
        }
    codes, groups = arrays.group_index(level)
    ok = arrays.registered > 0
    g_n = codes.size
    has_o = np.bincount(groups[ok & obs], minlength=g_n) > 0
    has_u = np.bincount(groups[ok & ~obs], minlength=g_n) > 0
    both = has_o & has_u
    sel = ok & both[groups]
    if not sel.any():
        return {
            "available": False,
            "reason_code": "no_district_with_both",
            "reason": "no district has both observed and unobserved stations",
            "observed_stations": int((ok & obs).sum()),
        }
    order = np.flatnonzero(sel)
    order = order[np.argsort(groups[order], kind="stable")]
    g = groups[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    o = obs[order].astype(np.float64)
    u = 1.0 - o
    reg = arrays.registered[order].astype(np.float64)
    iss = arrays.issued[order].astype(np.float64)
    lead = arrays.leader_votes[order].astype(np.float64)
    rec = arrays.received[order].astype(np.float64)

    def estimate(w: np.ndarray) -> dict[str, np.ndarray]:
        """w: (B, n) station weights -> per-replicate statistics (arrays of length B)."""

        def gsum(x: np.ndarray) -> np.ndarray:
            return np.add.reduceat(w * x, starts, axis=-1)

        reg_o, reg_u = gsum(reg * o), gsum(reg * u)
        with np.errstate(divide="ignore", invalid="ignore"):
            lead_rate = np.where(reg_o > 0, gsum(lead * o) / reg_o, 0.0)
            iss_rate = np.where(reg_o > 0, gsum(iss * o) / reg_o, 0.0)
        use = reg_o > 0
        excess_lead = ((gsum(lead * u) - lead_rate * reg_u) * use).sum(axis=-1)
        excess_iss = ((gsum(iss * u) - iss_rate * reg_u) * use).sum(axis=-1)
        return {"excess_leader_votes": excess_lead, "excess_ballots": excess_iss}

    point = {k: float(v[0]) for k, v in estimate(np.ones((1, order.size))).items()}
    rng = np.random.default_rng(seed)
    reps: dict[str, list[np.ndarray]] = {k: [] for k in point}
    for start in range(0, boot, batch):  # a few batches of replicates, each fully vectorised
        w = rng.poisson(1.0, size=(min(batch, boot - start), order.size)).astype(np.float64)
        for k, v in estimate(w).items():
            reps[k].append(v)
    intervals = {
        k: [float(x) for x in np.percentile(np.concatenate(v), [2.5, 97.5])]
        for k, v in reps.items()
    }

    def pooled(mask: np.ndarray) -> dict[str, float]:
        return {
            "stations": int(mask.sum()),
            "turnout": float(iss[mask].sum() / max(reg[mask].sum(), 1)),
            "leader_share": float(lead[mask].sum() / max(rec[mask].sum(), 1)),
        }

    # district-level differences (unobserved − observed), weighted by unobserved registered
    ones = np.ones((1, order.size))

    def dsum(x: np.ndarray) -> np.ndarray:
        return np.add.reduceat(ones * x, starts, axis=-1)[0]

    with np.errstate(divide="ignore", invalid="ignore"):
        t_o = dsum(iss * o) / dsum(reg * o)
        t_u = dsum(iss * u) / dsum(reg * u)
        s_o = dsum(lead * o) / dsum(rec * o)
        s_u = dsum(lead * u) / dsum(rec * u)
    wgt = dsum(reg * u)
    fin_t = np.isfinite(t_o) & np.isfinite(t_u)
    fin_s = np.isfinite(s_o) & np.isfinite(s_u)
    return {
        "available": True,
        "level": arrays.level(level),
        "districts": int(both.sum()),
        "observed": pooled(o > 0),
        "unobserved": pooled(u > 0),
        "turnout_difference": float(np.average((t_u - t_o)[fin_t], weights=wgt[fin_t])),
        "leader_share_difference": float(np.average((s_u - s_o)[fin_s], weights=wgt[fin_s])),
        "excess_leader_votes": point["excess_leader_votes"],
        "excess_leader_votes_95": intervals["excess_leader_votes"],
        "excess_ballots": point["excess_ballots"],
        "excess_ballots_95": intervals["excess_ballots"],
        "bootstrap": boot,
    }


__all__ = ["observed_comparison"]
