"""Writes of the voters' exit poll: every message stored first, then judged, then counted.

`voter_message_receive` is called for every update the voters' bot gets, before any reply: it
commits the `Submission` (kind ``crowd_ballot``, the update without any Telegram id), updates the
account's counters and returns the spam verdict. Photos become `CrowdBallot`s
(`ballot_photo_receive`) which the voter then labels (`ballot_choice_set`); a voter counts once
per station. `crowd_findings_update` writes the "voters' photos exceed the official votes"
findings (the Golos method).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from baqylau.bots import keys
from baqylau.bots.models import BotControl, BotName
from baqylau.crowd import abuse
from baqylau.crowd.models import CrowdBallot, CrowdVoter
from baqylau.elections.models import AdminUnit, Choice, Contest, Election
from baqylau.intake.models import Submission
from baqylau.tally.services import mark_stations

HISTORY = 12  # recent times/digests kept per account
#: Per account: 6 messages at once, then one every 5 s. Globally: 30/s with bursts of 200.
ACCOUNT_BUCKET = abuse.Bucket(rate=0.2, capacity=6)
GLOBAL_BUCKET = abuse.Bucket(
    rate=float(os.environ.get("BAYGE_GLOBAL_RATE", "30")),
    capacity=float(os.environ.get("BAYGE_GLOBAL_BURST", "200")),
)
COUNTABLE = (
    CrowdBallot.Category.VALID,
    CrowdBallot.Category.AGAINST_ALL,
    CrowdBallot.Category.SPOILED,
    CrowdBallot.Category.NO_PHOTO,
)


@dataclass
class Received:
    voter: CrowdVoter
    submission: Submission
    verdict: abuse.Verdict
    rate_limited: bool


_CACHE: dict[str, tuple[float, Any]] = {}
CACHE_SECONDS = 2.0


def cached(key: str, compute, seconds: float = CACHE_SECONDS):
    """A value read at most every `seconds` per process (switches, configuration)."""
    now = time.monotonic()
    hit = _CACHE.get(key)
    if hit is not None and now - hit[0] < seconds:
        return hit[1]
    value = compute()
    _CACHE[key] = (now, value)
    return value


def cache_clear() -> None:
    _CACHE.clear()


def poll_target() -> tuple[Election | None, Contest | None]:
    """The election and contest the voters' bot polls (cached for a couple of seconds)."""
    return cached("poll_target", _poll_target)


def _poll_target() -> tuple[Election | None, Contest | None]:
    """The election and contest the voters' bot polls (admin switch, else the latest election)."""
    control = (
        BotControl.objects.filter(bot=BotName.BAYGE)
        .select_related("contest__election", "election")
        .first()
    )
    if control and control.contest_id:
        return control.contest.election, control.contest
    if control and control.election_id:
        election = control.election
    else:
        election = Election.objects.order_by("-date", "-id").first()
    if election is None:
        return None, None
    return election, election.contests.order_by("code").first()


def reference_id() -> int | None:
    return cached(
        "id_reference",
        lambda: (
            BotControl.objects.filter(bot=BotName.BAYGE)
            .values_list("id_reference", flat=True)
            .first()
        ),
    )


def content_digest(payload: Mapping[str, Any]) -> str:
    """What the account "said": text, or the photo's unique id, or the button pressed."""
    message = payload.get("message") or {}
    if message.get("photo"):
        return "photo:" + str(message["photo"][-1].get("file_unique_id", ""))
    if message.get("text"):
        return "text:" + hashlib.sha256(message["text"].strip().lower().encode()).hexdigest()[:16]
    callback = payload.get("callback_query") or {}
    if callback.get("data"):
        return "cb:" + str(callback["data"]).split(":")[0] + ":" + str(callback["data"])[-12:]
    return ""


def voter_message_receive(
    *,
    user_id: int,
    payload: Mapping[str, Any],
    language: str | None = None,
    now: float | None = None,
) -> Received:
    """Store the update first, then update the account's counters and judge it."""
    from baqylau.bots.parsing import sanitize_update
    from baqylau.bots.services import rate_take
    from baqylau.intake.services import store_envelope

    now = time.time() if now is None else now
    voter_hash = keys.id_hash("user", user_id)
    election, _contest = poll_target()
    submission = store_envelope(
        election=election,
        channel=Submission.Channel.TELEGRAM,
        kind=Submission.Kind.CROWD_BALLOT,
        sender=voter_hash,
        payload={
            "data": {"bot": BotName.BAYGE, "update": sanitize_update(payload, voter_hash)},
            "attachments": [],
        },
        language=language or "ru",
    )
    burst = not rate_take(f"{BotName.BAYGE}:global", GLOBAL_BUCKET, now=now)
    reference = reference_id()
    with transaction.atomic():
        voter, created = CrowdVoter.objects.select_for_update().get_or_create(
            voter_hash=voter_hash,
            defaults={"election": election, "language": (language or "ru")[:2]},
        )
        if created:
            voter.new_account = abuse.is_new_account(user_id, reference)
        allowed, tokens = abuse.bucket_take(
            ACCOUNT_BUCKET, voter.bucket_tokens, voter.bucket_updated, now
        )
        voter.bucket_tokens, voter.bucket_updated = tokens, now
        voter.recent_times = [*voter.recent_times, now][-HISTORY:]
        digest = content_digest(payload)
        voter.recent_digests = [*voter.recent_digests, digest][-HISTORY:]
        voter.messages += 1
        verdict = abuse.assess(
            abuse.Signals(
                rate_limited=not allowed,
                times=tuple(voter.recent_times),
                digests=tuple(voter.recent_digests),
                user_id=user_id if voter.new_account else None,
                reference_id=reference,
                global_burst=burst,
            )
        )
        if verdict.spam:
            voter.spam = True
            voter.spam_reasons = sorted(set(voter.spam_reasons) | set(verdict.reasons))
        voter.save()
    return Received(voter, submission, verdict, rate_limited=not allowed)


def voter_station_set(voter: CrowdVoter, code: str) -> AdminUnit | None:
    """The voter's station, given once; None when there is no such station."""
    election, _ = poll_target()
    if election is None:
        return None
    code = code.strip().lstrip("№#").strip()
    stations = AdminUnit.objects.filter(election=election, kind=AdminUnit.Kind.STATION)
    found = list(stations.filter(code=code)[:2]) or list(stations.filter(path=code)[:1])
    if len(found) != 1:
        return None
    CrowdVoter.objects.filter(pk=voter.pk, station__isnull=True).update(
        station=found[0], election=election
    )
    voter.refresh_from_db(fields=["station", "election"])
    return voter.station


# ---------------------------------------------------------------------------------------------
# near-duplicate photos across voters


class _PhashIndex:
    """Perceptual hashes of the ballots of one contest, kept in memory and topped up by id."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last_id: dict[int, int] = {}
        self.ids: dict[int, list[int]] = {}
        self.voters: dict[int, list[int]] = {}
        self.hashes: dict[int, list[int]] = {}

    def clear(self) -> None:
        with self.lock:
            self.last_id.clear()
            self.ids.clear()
            self.voters.clear()
            self.hashes.clear()

    def matches(self, contest_id: int, target: int, voter_id: int) -> list[int]:
        with self.lock:
            rows = (
                CrowdBallot.objects.filter(
                    contest_id=contest_id, pk__gt=self.last_id.get(contest_id, 0)
                )
                .exclude(perceptual_hash="")
                .order_by("pk")
                .values_list("pk", "voter_id", "perceptual_hash")
            )
            ids = self.ids.setdefault(contest_id, [])
            voters = self.voters.setdefault(contest_id, [])
            hashes = self.hashes.setdefault(contest_id, [])
            for pk, voter, hex_hash in rows:
                value = abuse.phash_int(hex_hash)
                if value is not None:
                    ids.append(pk)
                    voters.append(voter)
                    hashes.append(value)
                self.last_id[contest_id] = pk
            if not ids:
                return []
            distances = np.bitwise_count(np.array(hashes, dtype=np.uint64) ^ np.uint64(target))
            close = (distances <= abuse.NEAR_DUPLICATE_BITS) & (np.array(voters) != voter_id)
            return [ids[i] for i in np.flatnonzero(close)]


PHASH_INDEX = _PhashIndex()


def ballot_photo_receive(
    *, received: Received, data: bytes, declared_type: str = "image/jpeg"
) -> CrowdBallot:
    """Store the ballot photo (evidence store, perceptual hash) and open a ballot for the choice.

    A photo the same as, or close to, another voter's marks both ballots as spam.
    Raises `evidence.services.EvidenceRejected` for files that are not photos.
    """
    from baqylau.evidence.services import store_media

    voter, submission = received.voter, received.submission
    _election, contest = poll_target()
    if contest is None:
        raise LookupError("no contest configured for the voters' bot")
    media = store_media(submission, data, declared_type=declared_type)
    target = abuse.phash_int(media.perceptual_hash)
    duplicates = PHASH_INDEX.matches(contest.pk, target, voter.pk) if target is not None else []
    same_bytes = list(
        CrowdBallot.objects.filter(contest=contest, photo__sha256=media.sha256)
        .exclude(voter=voter)
        .values_list("pk", flat=True)
    )
    duplicates = sorted(set(duplicates) | set(same_bytes))
    reasons = list(voter.spam_reasons) if voter.spam else list(received.verdict.reasons)
    spam = voter.spam or received.verdict.spam
    if duplicates:
        reasons = sorted({*reasons, "duplicate_photo"})
        spam = True
    with transaction.atomic():
        ballot = CrowdBallot.objects.create(
            submission=submission,
            voter=voter,
            contest=contest,
            station=voter.station,
            category=CrowdBallot.Category.SPAM if spam else CrowdBallot.Category.PENDING,
            photo=media,
            perceptual_hash=media.perceptual_hash,
            spam_reasons=sorted(set(reasons)) if spam else [],
        )
        if duplicates:
            _mark_spam(duplicates, "duplicate_photo")
    return ballot


def _mark_spam(ballot_ids: list[int], reason: str) -> None:
    uncounted: dict[int, set[int]] = {}
    for ballot in CrowdBallot.objects.select_for_update().filter(pk__in=ballot_ids):
        if ballot.counted and ballot.station_id is not None:
            uncounted.setdefault(ballot.contest_id, set()).add(ballot.station_id)
        ballot.spam_reasons = sorted({*ballot.spam_reasons, reason})
        ballot.category = CrowdBallot.Category.SPAM
        ballot.counted = False
        ballot.save(update_fields=["spam_reasons", "category", "counted"])
    for contest_id, stations in uncounted.items():  # a ballot no longer counts: recount
        mark_stations(contest_id, stations)


def ballot_choice_set(
    *, received: Received, ballot_id: int | None, answer: str
) -> tuple[CrowdBallot | None, bool]:
    """Label a ballot: ``answer`` is a choice code, ``choice:<id>``, ``against_all`` or ``spoiled``.

    Without `ballot_id` (the voter has no photo) a ``no_photo`` ballot is opened on the update's
    submission. Returns ``(ballot, counted)``; the ballot is None when `ballot_id` is not this
    voter's.
    """
    voter = received.voter
    _election, contest = poll_target()
    if contest is None:
        return None, False
    with transaction.atomic():
        if ballot_id is None:
            ballot = CrowdBallot.objects.create(
                submission=received.submission,
                voter=voter,
                contest=contest,
                station=voter.station,
                category=CrowdBallot.Category.NO_PHOTO,
            )
        else:
            ballot = (
                CrowdBallot.objects.select_for_update()
                .filter(pk=ballot_id, voter=voter, decided_at__isnull=True)
                .first()
            )
            if ballot is None:
                return None, False
        choice = None
        if answer == "spoiled":
            category = CrowdBallot.Category.SPOILED
        elif answer == "against_all":
            category = CrowdBallot.Category.AGAINST_ALL
            choice = contest.choices.filter(kind=Choice.Kind.AGAINST_ALL).first()
        else:
            choices = contest.choices.all()
            if answer.startswith("choice:") and answer[7:].isdigit():
                choice = choices.filter(pk=int(answer[7:])).first()
            else:
                choice = choices.filter(code=answer).first()
            if choice is None:
                return None, False
            category = (
                CrowdBallot.Category.AGAINST_ALL
                if choice.kind == Choice.Kind.AGAINST_ALL
                else CrowdBallot.Category.VALID
            )
        if ballot.photo_id is None:
            category = CrowdBallot.Category.NO_PHOTO
        spam = voter.spam or received.verdict.spam or ballot.category == CrowdBallot.Category.SPAM
        ballot.choice = choice
        ballot.decided_at = timezone.now()
        if spam:
            ballot.category = CrowdBallot.Category.SPAM
            ballot.spam_reasons = sorted(
                {*ballot.spam_reasons, *voter.spam_reasons, *received.verdict.reasons}
            )
            ballot.counted = False
        else:
            ballot.category = category
            ballot.counted = ballot.station_id is not None and _may_count(ballot)
        ballot.save()
        if ballot.counted:  # the station's crowd-vs-official finding may change
            mark_stations(contest.pk, [ballot.station_id])
    return ballot, ballot.counted


def _may_count(ballot: CrowdBallot) -> bool:
    """Once per voter and station; a photo-confirmed ballot replaces a counted "no photo" one."""
    counted = (
        CrowdBallot.objects.select_for_update()
        .filter(voter=ballot.voter, contest=ballot.contest, station=ballot.station, counted=True)
        .exclude(pk=ballot.pk)
        .first()
    )
    if counted is None:
        return True
    if counted.category == CrowdBallot.Category.NO_PHOTO and ballot.photo_id is not None:
        CrowdBallot.objects.filter(pk=counted.pk).update(counted=False)
        return True
    return False
