"""Shpilkin's estimate of anomalous votes from the turnout-sorted distribution of votes.

Sergey Shpilkin's method (as described by Kobak, Shpilkin & Pshenichnikov, Significance 2016):
sort stations by turnout and look at the votes cast at each turnout. In a clean election the
leader's share hardly depends on turnout; with stuffing, the high-turnout stations carry the
leader's extra ballots. The method takes a *clean region* of low-turnout stations as the
reference, computes the leader's share of valid votes there, and assumes that above it the
other choices' votes are honest and the leader's votes should stand to them in the same ratio.
The anomalous votes are the leader's votes in excess of that expectation, summed over the
turnout bins above the clean region (bins with a deficit count as 0).

Which turnout and which stations: turnout is ballots issued / voters on the list (Russian lines
3+4+5 over line 1; the 2020 vote: line 2 over line 1), in bins of 0.5 percentage points; every
station with voters on the list and ballots received counts, weighted by its votes (the curves
are votes per turnout bin, not stations).

Where the clean region ends — the two published variants:

* ``peak`` (the default; Shpilkin's original): the clean region is every bin up to the *clean
  mode*, the peak of the turnout distribution of the other choices' votes (smoothed). The peak
  is searched only **below the overall turnout**: stuffing raises a station's turnout, so a peak
  above the overall turnout is where stuffed stations pile up — in ru2020 the unrestricted peak
  is at 80.75 % turnout, a stuffing peak, while the clean mode below 67.7 % is at 43.75 %;
* ``plateau``: the leader's share is flat at low turnout and starts to climb where stuffing
  begins; the clean region extends from the clean mode up to the last bin before the smoothed
  leader's share rises more than `tolerance` (2 percentage points) above its level at the mode.

Both variants are in the report (`variants`), with the chosen one (`variant`) giving the main
figures. Inputs: station figures (registered > 0 and received > 0). Limits: this is an estimate
under a strong assumption. Genuine correlation of turnout with preference (rural/urban, ethnic
regions, closed institutions) is counted as anomalous, while votes moved from other choices at a
normal turnout and fraud in the reference region are missed. A sign of scale, not proof.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter1d

from baqylau.forensics.data import StationArrays

VARIANTS = ("peak", "plateau")


def _estimate(lead_bin: np.ndarray, other_bin: np.ndarray, last_clean: int) -> dict[str, Any]:
    """Anomalous votes when bins 0..last_clean are the clean region."""
    nbins = lead_bin.size
    clean = slice(0, last_clean + 1)
    denom = lead_bin[clean].sum() + other_bin[clean].sum()
    share = float(lead_bin[clean].sum() / denom) if denom > 0 else 0.0
    ratio = share / (1.0 - share) if share < 1 else np.inf
    expected = np.where(np.arange(nbins) > last_clean, other_bin * ratio, lead_bin)
    excess = np.clip(lead_bin - expected, 0.0, None)
    return {"anomalous": float(excess.sum()), "share": share, "expected": expected}


def shpilkin_estimate(
    arrays: StationArrays,
    *,
    bin_pp: float = 0.5,
    smooth_bins: float = 2.0,
    variant: str = "peak",
    tolerance: float = 0.02,
) -> dict[str, Any]:
    """Anomalous votes for the leader (see the module docstring); returns a JSON-ready dict.

    Keys: `variant` (the chosen one) and its `anomalous_votes`, `anomalous_share` (of the
    leader's votes), `clean_mode_turnout` (the clean mode), `clean_limit_turnout` (the upper
    end of the clean region), `clean_leader_share`, `stations` (how many it rests on: some
    voters registered and ballots received, valid count known), `stations_above_mode` (above
    the clean region); `variants` (both variants' figures), `unrestricted_mode_turnout` (the peak of the
    others' votes over all turnouts, for comparison), `official_turnout`, `leader_votes`, and
    the per-bin `curve` of the chosen variant.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown Shpilkin variant {variant!r}; one of {VARIANTS}")
    # the others' votes are valid minus the leader's: a station whose valid count is unknown
    # (summed from the choices, one of them unknown) is left out, never counted as 0
    ok = (arrays.registered > 0) & (arrays.received > 0) & arrays.is_known("valid")
    turnout = np.clip(arrays.issued[ok] / arrays.registered[ok], 0.0, 1.0)
    leader = arrays.leader_votes[ok].astype(np.float64)
    others = (arrays.valid[ok] - arrays.leader_votes[ok]).clip(min=0).astype(np.float64)
    nbins = int(round(100 / bin_pp))
    index = np.minimum((turnout * nbins).astype(np.int64), nbins - 1)
    lead_bin = np.bincount(index, weights=leader, minlength=nbins)
    other_bin = np.bincount(index, weights=others, minlength=nbins)
    centres = (np.arange(nbins) + 0.5) / nbins
    registered = int(arrays.registered[ok].sum())
    official = float(arrays.issued[ok].sum() / registered) if registered else 0.0
    smooth_others = gaussian_filter1d(other_bin, smooth_bins, mode="constant")
    unrestricted = int(np.argmax(smooth_others))
    below = np.arange(nbins) < max(int(official * nbins), 1)
    mode = int(np.argmax(np.where(below, smooth_others, -np.inf)))

    # plateau: the smoothed leader's share, from the mode up, until it rises above tolerance
    with np.errstate(divide="ignore", invalid="ignore"):
        smooth_share = gaussian_filter1d(lead_bin, smooth_bins, mode="constant") / (
            gaussian_filter1d(lead_bin + other_bin, smooth_bins, mode="constant")
        )
    level = smooth_share[mode]
    limit = mode
    while limit + 1 < nbins and np.isfinite(smooth_share[limit + 1]):
        if smooth_share[limit + 1] > level + tolerance:
            break
        limit += 1
    total = float(leader.sum())
    results = {}
    for name, last_clean in (("peak", mode), ("plateau", limit)):
        est = _estimate(lead_bin, other_bin, last_clean)
        results[name] = (last_clean, est)
    last_clean, chosen = results[variant]
    return {
        "variant": variant,
        "anomalous_votes": chosen["anomalous"],
        "anomalous_share": chosen["anomalous"] / total if total > 0 else 0.0,
        "clean_mode_turnout": float(centres[mode]),
        "clean_limit_turnout": float(centres[last_clean]),
        "clean_leader_share": chosen["share"],
        "leader_votes": total,
        "stations": int(ok.sum()),
        "stations_above_mode": int((index > last_clean).sum()),
        "official_turnout": official,
        "unrestricted_mode_turnout": float(centres[unrestricted]),
        "variants": {
            name: {
                "clean_limit_turnout": float(centres[end]),
                "clean_leader_share": est["share"],
                "anomalous_votes": est["anomalous"],
                "anomalous_share": est["anomalous"] / total if total > 0 else 0.0,
            }
            for name, (end, est) in results.items()
        },
        "curve": {
            "turnout": centres.tolist(),
            "leader": lead_bin.tolist(),
            "others": other_bin.tolist(),
            "expected_leader": chosen["expected"].tolist(),
        },
    }


__all__ = ["VARIANTS", "shpilkin_estimate"]
