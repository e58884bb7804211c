"""Crowd vs official: stations where voters' confirmed ballot photos exceed official votes.

Belarus 2020 ("Golos"): voters photographed their ballots and sent them, by station. If at a
station more voters confirmed by photo a vote for a choice than the official protocol gives
that choice, the official figure is impossible — the station is *proven* falsified (given the
photos are genuine, unique and from that station; that is moderation's job, upstream).

The converse does not hold: photos below the official count prove nothing (most voters send no
photo), so this finds only a lower bound of the falsification: `votes_missing` is the sum over
stations and choices of photos minus official votes where positive.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def crowd_impossibility(
    photos: np.ndarray,
    official: np.ndarray,
    *,
    station_ids: np.ndarray | None = None,
    choices: tuple[str, ...] | None = None,
    has_official: np.ndarray | None = None,
    top: int = 50,
) -> dict[str, Any]:
    """Impossibility counts from (stations × choices) photo counts and official votes.

    `has_official` marks stations whose official figures are known (others are ignored).
    Returns the number of stations compared, stations proven falsified (any choice with
    photos > official), per-choice counts, the minimum number of missing votes, the
    `top` stations by missing votes, and the (N, K) masks `exceeds` (photos > official) and
    `proven_mask` (N,).
    """
    photos = np.asarray(photos, dtype=np.int64)
    official = np.asarray(official, dtype=np.int64)
    if photos.shape != official.shape or photos.ndim != 2:
        raise ValueError(f"photos {photos.shape} and official {official.shape} must match (N, K)")
    if (photos < 0).any() or (official < 0).any():
        raise ValueError("counts must be non-negative")
    n, k = photos.shape
    known = np.ones(n, bool) if has_official is None else np.asarray(has_official, dtype=bool)
    choices = choices or tuple(str(i) for i in range(k))
    ids = np.arange(n).astype(str) if station_ids is None else np.asarray(station_ids).astype(str)
    gap = np.where(known[:, None], np.clip(photos - official, 0, None), 0)
    bad = gap > 0
    proven = bad.any(axis=1)
    missing = gap.sum(axis=1)
    order = np.argsort(-missing, kind="stable")[: min(top, int(proven.sum()))]
    return {
        "stations_compared": int(known.sum()),
        "stations_with_photos": int((known & (photos.sum(axis=1) > 0)).sum()),
        "stations_proven_falsified": int(proven.sum()),
        "by_choice": {c: int(bad[:, j].sum()) for j, c in enumerate(choices)},
        "votes_missing": int(gap.sum()),
        "votes_missing_by_choice": {c: int(gap[:, j].sum()) for j, c in enumerate(choices)},
        "top": [
            {
                "station": str(ids[i]),
                "missing_votes": int(missing[i]),
                "choices": [choices[j] for j in np.flatnonzero(bad[i])],
            }
            for i in order
        ],
        "proven_mask": proven,
        "exceeds": bad,
    }


__all__ = ["crowd_impossibility"]
