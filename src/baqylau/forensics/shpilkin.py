"""Shpilkin's estimate of anomalous votes from the turnout-sorted distribution of votes.

Sergey Shpilkin's method (as described by Kobak, Shpilkin & Pshenichnikov, Significance 2016):
sort stations by turnout and look at the votes cast at each turnout. In a clean election the
leader's share hardly depends on turnout; with stuffing, the high-turnout stations carry the
leader's extra ballots. The method takes the stations at or below the *clean mode* — the peak of
the turnout distribution of the votes for the other choices, which ballot stuffing for the
leader does not create — as the reference, computes the leader's share of valid votes there,
and assumes that above the mode the other choices' votes are honest and the leader's votes
should stand to them in the same ratio. The anomalous votes are the leader's votes in excess of
that expectation, summed over the turnout bins above the mode (bins with a deficit count as 0).

Inputs: station figures (registered > 0 and received > 0). Limits: this is an estimate under a
strong assumption. Genuine correlation of turnout with preference (rural/urban, ethnic regions,
closed institutions) is counted as anomalous, while votes moved from other choices at a
normal turnout and fraud in the reference region are missed. A sign of scale, not proof.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter1d

from baqylau.forensics.data import StationArrays


def shpilkin_estimate(
    arrays: StationArrays, *, bin_pp: float = 0.5, smooth_bins: float = 2.0
) -> dict[str, Any]:
    """Anomalous votes for the leader (see the module docstring); returns a JSON-ready dict.

    Keys: `anomalous_votes`, `anomalous_share` (of the leader's votes), `clean_mode_turnout`,
    `clean_leader_share`, `leader_votes`, `stations_above_mode`, and the per-bin `curve`
    (turnout bin centres, leader votes, others' votes, expected leader votes).
    """
    ok = (arrays.registered > 0) & (arrays.received > 0)
    turnout = np.clip(arrays.issued[ok] / arrays.registered[ok], 0.0, 1.0)
    leader = arrays.leader_votes[ok].astype(np.float64)
    others = (arrays.valid[ok] - arrays.leader_votes[ok]).clip(min=0).astype(np.float64)
    nbins = int(round(100 / bin_pp))
    index = np.minimum((turnout * nbins).astype(np.int64), nbins - 1)
    lead_bin = np.bincount(index, weights=leader, minlength=nbins)
    other_bin = np.bincount(index, weights=others, minlength=nbins)
    centres = (np.arange(nbins) + 0.5) / nbins
    mode = int(np.argmax(gaussian_filter1d(other_bin, smooth_bins, mode="constant")))
    clean = slice(0, mode + 1)
    denom = lead_bin[clean].sum() + other_bin[clean].sum()
    share = float(lead_bin[clean].sum() / denom) if denom > 0 else 0.0
    ratio = share / (1.0 - share) if share < 1 else np.inf
    expected = np.where(np.arange(nbins) > mode, other_bin * ratio, lead_bin)
    excess = np.clip(lead_bin - expected, 0.0, None)
    total = float(leader.sum())
    anomalous = float(excess.sum())
    return {
        "anomalous_votes": anomalous,
        "anomalous_share": anomalous / total if total > 0 else 0.0,
        "clean_mode_turnout": float(centres[mode]),
        "clean_leader_share": share,
        "leader_votes": total,
        "stations_above_mode": int((index > mode).sum()),
        "curve": {
            "turnout": centres.tolist(),
            "leader": lead_bin.tolist(),
            "others": other_bin.tolist(),
            "expected_leader": expected.tolist(),
        },
    }


__all__ = ["shpilkin_estimate"]
