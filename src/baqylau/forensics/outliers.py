"""Robust outliers within a district: median/MAD z-scores of turnout, leader and invalid share.

Each station is compared with the other stations of its own district (or any unit level): the
robust z-score is (x − median) / (1.4826 · MAD) of the district. Sorting once by (district,
value) gives every district's median and MAD without a loop over districts.

What it shows: stations that differ sharply from their neighbours — e.g. one station at 95 %
turnout among stations at 55 % — the places worth checking first (observer reports, protocol
copies). What it cannot show: that an outlier is falsified (closed institutions, hospitals,
military units and tiny stations are legitimately different), nor fraud that is applied to a
whole district alike. Districts with fewer than `min_group` stations are skipped (z = NaN).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from baqylau.forensics.data import StationArrays

MAD_SCALE = 1.4826


def _group_median(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Median of `values` per group (NaN values ignored; NaN for empty groups)."""
    ok = np.isfinite(values)
    v, g = values[ok], groups[ok]
    order = np.lexsort((v, g))
    v, g = v[order], g[order]
    counts = np.bincount(g, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    med = np.full(n_groups, np.nan)
    has = counts > 0
    lo = starts + (counts - 1) // 2
    hi = starts + counts // 2
    med[has] = 0.5 * (v[lo[has]] + v[hi[has]])
    return med


def robust_z(values: np.ndarray, groups: np.ndarray, min_group: int = 5) -> np.ndarray:
    """Robust z-score of each value within its group (integer ids 0..G-1)."""
    values = np.asarray(values, dtype=np.float64)
    groups = np.asarray(groups, dtype=np.int64)
    n_groups = int(groups.max()) + 1 if groups.size else 0
    med = _group_median(values, groups, n_groups)
    mad = _group_median(np.abs(values - med[groups]), groups, n_groups)
    size = np.bincount(groups[np.isfinite(values)], minlength=n_groups)
    scale = MAD_SCALE * mad
    usable = (size >= min_group) & (scale > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (values - med[groups]) / scale[groups]
    return np.where(usable[groups], z, np.nan)


def district_outliers(
    arrays: StationArrays,
    *,
    level: str | None = None,
    threshold: float = 3.5,
    min_group: int = 5,
    top: int = 20,
) -> dict[str, Any]:
    """Robust z-scores of turnout, leader share and invalid share within each unit of `level`.

    Returns counts of stations with |z| > `threshold` per measure, the stations flagged
    (high turnout *and* high leader share: the stuffing pattern), the `top` most extreme
    stations, and the z arrays themselves under `z` (not JSON; dropped by the report).
    """
    _, groups = arrays.group_index(level)
    measures = {
        "turnout": arrays.turnout(),
        "leader_share": arrays.leader_share(),
        "invalid_share": arrays.invalid_share(),
    }
    z = {name: robust_z(v, groups, min_group) for name, v in measures.items()}
    flagged = {name: np.nan_to_num(np.abs(zz)) > threshold for name, zz in z.items()}
    stuffing_like = (np.nan_to_num(z["turnout"]) > threshold) & (
        np.nan_to_num(z["leader_share"]) > threshold
    )
    score = np.nan_to_num(np.fmax(z["turnout"], z["leader_share"]), nan=-np.inf)
    idx = np.argsort(-score)[:top]
    ids = arrays.station_ids if arrays.station_ids is not None else np.arange(arrays.n_stations)
    return {
        "level": arrays.level(level),
        "threshold": threshold,
        "stations_scored": int(np.isfinite(z["turnout"]).sum()),
        "flagged": {name: int(f.sum()) for name, f in flagged.items()},
        "stuffing_like": int(stuffing_like.sum()),
        "top": [
            {
                "station": str(ids[i]),
                "turnout": float(measures["turnout"][i]),
                "leader_share": float(measures["leader_share"][i]),
                "z_turnout": float(z["turnout"][i]),
                "z_leader_share": float(z["leader_share"][i]),
            }
            for i in idx
            if np.isfinite(score[i])
        ],
        "z": z,
        "stuffing_like_mask": stuffing_like,
    }


__all__ = ["district_outliers", "robust_z"]
