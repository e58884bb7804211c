"""Population-level detection of a bought-accounts campaign (pure: no Django, no I/O).

One bought account sending one unique ballot photo at a human pace trips none of the
per-account signals of `crowd.abuse`. A campaign shows up only in the population: many accounts
created about the same time (Telegram ids grow roughly with the account's creation), with the same
language and client, arriving together, with similar photos, voting differently from the voters
whose phone number is verified. This module finds such groups:

- a *group* is the unverified accounts sharing an id block (`ID_BLOCK_BITS`), a language and a
  client signature; it is a *suspect group* when it has at least `MIN_GROUP` accounts and at
  least `MIN_REASONS` of the reasons below (the shared id block itself is the first one):
  ``id_range``, ``timing`` (most accounts first seen within `TIMING_WINDOW` seconds),
  ``photo_similarity`` (many pairs of photos within `SIMILAR_BITS`), ``surge`` (most accounts
  first seen in a surge of new accounts) and ``choice_skew`` (its choices far from the verified
  voters': total variation distance at least `SKEW_TVD` with a chi-square p below `SKEW_P`);
- *surges*: windows of `SURGE_WINDOW` seconds with at least `SURGE_MIN` new accounts and
  `SURGE_FACTOR` times the median window;
- *divergence*: the choices of all unverified ballots against the verified ones (chi-square and
  total variation distance), reported for moderators; it holds no ballot by itself.

Phone-verified voters are never put in a group: their number is their proof.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

ID_BLOCK_BITS = 20  # 2^20 ids: about the accounts created in a few days
MIN_GROUP = 5
MIN_REASONS = 2
TIMING_WINDOW = 1800.0
TIMING_SHARE = 0.8
SIMILAR_BITS = 16  # of 64: "looks alike", looser than a near-duplicate
SIMILAR_PAIRS_SHARE = 0.3
SURGE_WINDOW = 600.0
SURGE_MIN = 20
SURGE_FACTOR = 5.0
SURGE_SHARE = 0.5
SKEW_TVD = 0.4
SKEW_P = 0.001
SKEW_MIN_VERIFIED = 20


def id_block(user_id: int) -> int:
    """The account's id block: accounts created about the same time share it."""
    return int(user_id) >> ID_BLOCK_BITS


def client_signature(payload: Mapping[str, Any]) -> str:
    """What the sending app leaves in a photo update: how many sizes Telegram made and the
    largest one's dimensions (apps compress differently). Empty for updates without a photo."""
    message = payload.get("message") or {}
    sizes = message.get("photo") or []
    if not sizes:
        return ""
    largest = sizes[-1]
    return f"p{len(sizes)}:{largest.get('width', 0)}x{largest.get('height', 0)}"[:32]


@dataclass(frozen=True)
class Account:
    """One voter account as detection sees it (no identity: the crowd app's row id)."""

    key: int
    id_block: int | None
    language: str
    client: str
    first_seen: float  # unix seconds
    verified: bool = False
    phash: int | None = None
    choice: str | None = None  # its counted choice (a choice key or category)


@dataclass
class Group:
    signature: str
    members: list[int]
    reasons: list[str]
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Divergence:
    tvd: float
    chi2: float
    p_value: float
    unverified: int
    verified: int

    @property
    def far(self) -> bool:
        return self.tvd >= SKEW_TVD and self.p_value < SKEW_P


@dataclass
class Report:
    groups: list[Group]
    surges: list[tuple[float, int]]  # (window start, new accounts)
    divergence: Divergence | None


def total_variation(a: Mapping[str, int], b: Mapping[str, int]) -> float:
    """Half the L1 distance between two distributions given as counts (0 … 1)."""
    na, nb = sum(a.values()), sum(b.values())
    if not na or not nb:
        return 0.0
    keys = set(a) | set(b)
    return 0.5 * sum(abs(a.get(k, 0) / na - b.get(k, 0) / nb) for k in keys)


def divergence(sample: Mapping[str, int], reference: Mapping[str, int]) -> Divergence | None:
    """Chi-square test of homogeneity of two count tables over the same keys (None: too few)."""
    keys = sorted(k for k in set(sample) | set(reference) if sample.get(k, 0) + reference.get(k, 0))
    n_sample, n_reference = sum(sample.values()), sum(reference.values())
    if len(keys) < 2 or not n_sample or not n_reference:
        return None
    table = np.array([[sample.get(k, 0) for k in keys], [reference.get(k, 0) for k in keys]])
    chi2, p_value, _dof, _expected = stats.chi2_contingency(table, correction=False)
    return Divergence(
        tvd=total_variation(sample, reference),
        chi2=float(chi2),
        p_value=float(p_value),
        unverified=n_sample,
        verified=n_reference,
    )


def timing_share(times: Sequence[float], window: float = TIMING_WINDOW) -> float:
    """The largest share of `times` inside one window of `window` seconds."""
    ordered = sorted(times)
    if not ordered:
        return 0.0
    best, start = 0, 0
    for end, value in enumerate(ordered):
        while value - ordered[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best / len(ordered)


def phash_int(hex_hash: str) -> int | None:
    """The 64-bit perceptual hash of the evidence store (16 hex digits) as an int, else None."""
    if not hex_hash or len(hex_hash) != 16:
        return None
    try:
        return int(hex_hash, 16)
    except ValueError:
        return None


def similar_pairs_share(hashes: Sequence[int], bits: int = SIMILAR_BITS) -> float:
    """The share of pairs of photos within `bits` of each other (0 with fewer than 2 photos)."""
    if len(hashes) < 2:
        return 0.0
    values = np.array(hashes, dtype=np.uint64)
    distances = np.bitwise_count(values[:, None] ^ values[None, :])
    upper = np.triu_indices(len(values), k=1)
    return float(np.mean(distances[upper] <= bits))


def surges(
    first_seen: Iterable[float],
    window: float = SURGE_WINDOW,
    minimum: int = SURGE_MIN,
    factor: float = SURGE_FACTOR,
) -> list[tuple[float, int]]:
    """Windows where new accounts arrive at `factor` times the median window, at least `minimum`."""
    slots = Counter(int(t // window) for t in first_seen)
    if not slots:
        return []
    lo, hi = min(slots), max(slots)
    counts = [slots.get(i, 0) for i in range(lo, hi + 1)]
    median = float(np.median(counts))
    floor = max(float(minimum), factor * max(median, 1.0))
    return [(i * window, n) for i, n in sorted(slots.items()) if n >= floor]


def _in_surge(time: float, surge_slots: set[int], window: float) -> bool:
    return int(time // window) in surge_slots


def detect(accounts: Sequence[Account]) -> Report:
    """Suspect groups, surges and the unverified-vs-verified divergence of one contest."""
    unverified = [a for a in accounts if not a.verified]
    found_surges = surges(a.first_seen for a in unverified)
    surge_slots = {int(start // SURGE_WINDOW) for start, _n in found_surges}
    verified_choices = Counter(a.choice for a in accounts if a.verified and a.choice)
    unverified_choices = Counter(a.choice for a in unverified if a.choice)
    overall = divergence(unverified_choices, verified_choices)

    buckets: dict[tuple, list[Account]] = defaultdict(list)
    for account in unverified:
        if account.id_block is not None:
            buckets[(account.id_block, account.language, account.client)].append(account)
    groups = []
    for (block, language, client), members in sorted(buckets.items(), key=lambda kv: kv[0][0]):
        if len(members) < MIN_GROUP:
            continue
        reasons = ["id_range"]
        figures: dict[str, Any] = {"accounts": len(members), "id_block": block}
        share = timing_share([m.first_seen for m in members])
        figures["timing_share"] = round(share, 3)
        if share >= TIMING_SHARE:
            reasons.append("timing")
        hashes = [m.phash for m in members if m.phash is not None]
        similar = similar_pairs_share(hashes)
        figures["similar_photo_pairs"] = round(similar, 3)
        if similar >= SIMILAR_PAIRS_SHARE:
            reasons.append("photo_similarity")
        in_surge = sum(_in_surge(m.first_seen, surge_slots, SURGE_WINDOW) for m in members)
        if surge_slots and in_surge / len(members) >= SURGE_SHARE:
            reasons.append("surge")
        choices = Counter(m.choice for m in members if m.choice)
        if sum(verified_choices.values()) >= SKEW_MIN_VERIFIED and choices:
            skew = divergence(choices, verified_choices)
            if skew is not None:
                figures["choice_tvd"] = round(skew.tvd, 3)
                figures["choice_p"] = skew.p_value
                if skew.far:
                    reasons.append("choice_skew")
        if len(reasons) >= MIN_REASONS:
            groups.append(
                Group(
                    signature=f"{block}:{language or '-'}:{client or '-'}",
                    members=sorted(m.key for m in members),
                    reasons=reasons,
                    stats=figures,
                )
            )
    return Report(groups=groups, surges=found_surges, divergence=overall)


def finite(value: float) -> float | None:
    """A figure safe to store as JSON (NaN and infinities become None)."""
    return value if math.isfinite(value) else None
