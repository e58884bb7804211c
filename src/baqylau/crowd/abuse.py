"""Spam heuristics for the voters' bot, as pure functions (no Django, no I/O).

Each signal is weak alone; `assess` adds their weights and calls a message spam when the score
reaches `SPAM_SCORE`. The signals, with the reason codes stored beside every spam ballot:

- ``rate_limit`` (strong): the account's token bucket is empty (too many messages too fast);
- ``machine_rhythm`` (medium): the gaps between the account's messages are too regular for a
  person (coefficient of variation below `RHYTHM_MAX_CV` over at least `RHYTHM_MIN_GAPS` gaps);
- ``duplicate_photo`` (strong): the same or a near-identical ballot photo (256-bit hash within
  `photo_index.MAX_DISTANCE`, found by `crowd.services.photo_duplicate_find`) was sent earlier
  by another account;
- ``repeated_content`` (medium): the account sends the same content again and again;
- ``new_account`` (weak): the Telegram user id is above the reference id of accounts that existed
  before the campaign (ids are roughly increasing with the account's creation);
- ``global_burst`` (weak): the bot as a whole is receiving more than its global rate allows,
  i.e. an attack is under way; it only tips an already suspicious account over the line.

A phone-verified account (one phone number, one vote) is judged on flooding (``rate_limit``)
alone: the other signals guess at automation, which its phone number already bounds, and a
person's few messages can look regular by chance.

The token bucket is a pure state transition (`bucket_take`), so its state can live in the
database and be shared by every bot process.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: Reason → weight. Spam when the sum reaches SPAM_SCORE.
WEIGHTS: dict[str, int] = {
    "rate_limit": 3,
    "machine_rhythm": 2,
    "duplicate_photo": 3,
    "repeated_content": 2,
    "new_account": 1,
    "global_burst": 1,
}
SPAM_SCORE = 3

RHYTHM_MIN_GAPS = 3
RHYTHM_MAX_CV = 0.12
RHYTHM_MAX_GAP = 600.0  # seconds: gaps longer than this are not "rhythm"
REPEAT_MIN = 3  # the same digest this many times in the recent history


# ---------------------------------------------------------------------------------------------
# token bucket


@dataclass(frozen=True)
class Bucket:
    """`rate` tokens per second, at most `capacity` tokens."""

    rate: float
    capacity: float


def bucket_take(
    bucket: Bucket, tokens: float | None, updated_at: float | None, now: float, cost: float = 1.0
) -> tuple[bool, float]:
    """Refill the bucket up to `now` and try to take `cost` tokens.

    Returns ``(allowed, tokens_left)``. A bucket never seen (``tokens is None``) starts full.
    Time going backwards (clock skew between processes) refills nothing.
    """
    if tokens is None or updated_at is None:
        level = bucket.capacity
    else:
        elapsed = max(0.0, now - updated_at)
        level = min(bucket.capacity, tokens + elapsed * bucket.rate)
    if level >= cost:
        return True, level - cost
    return False, level


# ---------------------------------------------------------------------------------------------
# single signals


def gaps(times: Sequence[float]) -> list[float]:
    ordered = sorted(times)
    return [b - a for a, b in zip(ordered, ordered[1:], strict=False)]


def rhythm_cv(times: Sequence[float]) -> float | None:
    """Coefficient of variation of the gaps between messages (None when too few or too slow)."""
    intervals = [g for g in gaps(times) if g <= RHYTHM_MAX_GAP]
    if len(intervals) < RHYTHM_MIN_GAPS:
        return None
    mean = statistics.fmean(intervals)
    if mean <= 0:
        return 0.0
    return statistics.pstdev(intervals) / mean


def is_machine_rhythm(times: Sequence[float]) -> bool:
    cv = rhythm_cv(times)
    return cv is not None and cv < RHYTHM_MAX_CV


def is_repeated_content(digests: Iterable[str]) -> bool:
    """The same non-empty content digest at least REPEAT_MIN times."""
    counts: dict[str, int] = {}
    for digest in digests:
        if digest:
            counts[digest] = counts.get(digest, 0) + 1
    return any(n >= REPEAT_MIN for n in counts.values())


def is_new_account(user_id: int, reference_id: int | None) -> bool:
    """True when the id is above the reference (the newest id known to predate the campaign)."""
    return reference_id is not None and reference_id > 0 and user_id > reference_id


# ---------------------------------------------------------------------------------------------
# the verdict


@dataclass(frozen=True)
class Signals:
    rate_limited: bool = False
    times: tuple[float, ...] = ()
    digests: tuple[str, ...] = ()
    user_id: int | None = None
    reference_id: int | None = None
    duplicate_photo: bool = False
    global_burst: bool = False
    phone_verified: bool = False


@dataclass(frozen=True)
class Verdict:
    score: int
    reasons: tuple[str, ...] = field(default=())

    @property
    def spam(self) -> bool:
        return self.score >= SPAM_SCORE


def assess(signals: Signals) -> Verdict:
    """Combine the signals of one message (and its account's recent history) into a verdict."""
    reasons: list[str] = []
    if signals.rate_limited:
        reasons.append("rate_limit")
    if is_machine_rhythm(signals.times):
        reasons.append("machine_rhythm")
    if signals.duplicate_photo:
        reasons.append("duplicate_photo")
    if is_repeated_content(signals.digests):
        reasons.append("repeated_content")
    if signals.user_id is not None and is_new_account(signals.user_id, signals.reference_id):
        reasons.append("new_account")
    if signals.global_burst:
        reasons.append("global_burst")
    if signals.phone_verified:
        reasons = [r for r in reasons if r == "rate_limit"]
    return Verdict(sum(WEIGHTS[r] for r in reasons), tuple(reasons))


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]
