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
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from baqylau.bots import keys
from baqylau.bots.models import BotControl, BotName
from baqylau.crowd import abuse, ballot_match, photo_index, population
from baqylau.crowd.models import (
    CrowdBallot,
    CrowdPhone,
    CrowdPhotoKey,
    CrowdVoter,
    SampleBallot,
    SuspectCluster,
)
from baqylau.db import advisory_lock
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
    phone_verified: bool = False


_CACHE: dict[str, tuple[float, Any]] = {}
CACHE_SECONDS = 2.0


def cached(key: str, compute, seconds: float = CACHE_SECONDS):
    """A value read (or a claim made) at most every `seconds` per process (switches,
    configuration, the population detection's slot)."""
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
    phone_verified: bool = False,
) -> Received:
    """Store the update first, then update the account's counters and judge it (a
    phone-verified account on flooding alone; `phone_verified` True: known to be, else looked
    up)."""
    from baqylau.bots.parsing import sanitize_update
    from baqylau.bots.services import rate_take
    from baqylau.intake.services import store_envelope

    now = time.time() if now is None else now
    voter_hash = keys.id_hash("user", user_id)
    election, contest = poll_target()
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
            voter.id_block = population.id_block(user_id)
        if not voter.client:
            voter.client = population.client_signature(payload)
        allowed, tokens = abuse.bucket_take(
            ACCOUNT_BUCKET, voter.bucket_tokens, voter.bucket_updated, now
        )
        voter.bucket_tokens, voter.bucket_updated = tokens, now
        voter.recent_times = [*voter.recent_times, now][-HISTORY:]
        digest = content_digest(payload)
        voter.recent_digests = [*voter.recent_digests, digest][-HISTORY:]
        voter.messages += 1
        phone_verified = phone_verified or (
            not created and contest is not None and voter_phone_verified(voter, contest)
        )
        verdict = abuse.assess(
            abuse.Signals(
                rate_limited=not allowed,
                times=tuple(voter.recent_times),
                digests=tuple(voter.recent_digests),
                user_id=user_id if voter.new_account else None,
                reference_id=reference,
                global_burst=burst,
                phone_verified=phone_verified,
            )
        )
        if verdict.spam:
            voter.spam = True
            voter.spam_reasons = sorted(set(voter.spam_reasons) | set(verdict.reasons))
        voter.save(update_fields=_COUNTER_FIELDS)  # the station and group are set elsewhere
    return Received(
        voter, submission, verdict, rate_limited=not allowed, phone_verified=phone_verified
    )


#: The fields of `CrowdVoter` that `voter_message_receive` changes.
_COUNTER_FIELDS = (
    "new_account",
    "id_block",
    "client",
    "bucket_tokens",
    "bucket_updated",
    "recent_times",
    "recent_digests",
    "messages",
    "spam",
    "spam_reasons",
)


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
    if voter.station_id == found[0].pk:
        voter.station = found[0]  # the row just read: no query for it again
    return voter.station


# ---------------------------------------------------------------------------------------------
# near-duplicate photos across voters (crowd.photo_index: multi-index hashing, in the database)


MAX_CANDIDATES = 64


def photo_duplicate_find(
    contest_id: int, value: int, voter_id: int, sha256: str = ""
) -> tuple[int, int] | None:
    """``(ballot id, distance)`` of the nearest earlier ballot photo of another voter within
    `photo_index.MAX_DISTANCE` of the 256-bit hash `value` (or with the same bytes), else None.

    One indexed query over the 272 probe keys finds the candidates (`crowd_photo_key` index on
    contest and key, covering ballot and voter on PostgreSQL), a second reads their hashes by
    primary key; the cost does not grow with the number of photos stored. Candidates sharing
    the most keys come first, at most `MAX_CANDIDATES`: a photo within the threshold shares
    about 10 of its 16 keys with this one, a random collision one key, so a flood of copies of
    one photo reads a bounded number of hashes, not every earlier copy.
    """
    candidates = [
        (pk, h)
        for pk, text in _photo_candidates(contest_id, photo_index.probe_keys(value), voter_id)
        if (h := photo_index.from_hex(text)) is not None
    ]
    found = photo_index.within(value, candidates)
    if sha256:
        same = (
            CrowdBallot.objects.filter(contest_id=contest_id, photo__sha256=sha256)
            .exclude(voter_id=voter_id)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if same is not None:
            found.insert(0, (same, 0))
    return found[0] if found else None


def _photo_candidates(contest_id: int, probes: list[int], voter_id: int) -> list[tuple[int, str]]:
    """``(ballot id, photo hash hex)`` of the other voters' photos sharing the most of the probe
    keys, at most `MAX_CANDIDATES`. One statement, written out: the ORM's compilation of a
    272-value ``IN`` list cost more than the indexed lookup itself (a photo is looked up on the
    bot's reply path). PostgreSQL takes the keys as one array parameter."""
    keys_table = CrowdPhotoKey._meta.db_table
    ballots_table = CrowdBallot._meta.db_table
    if connection.vendor == "postgresql":
        match, params = "k.key = ANY(%s)", [probes]
    else:
        match, params = f"k.key IN ({', '.join(['%s'] * len(probes))})", list(probes)
    sql = (
        f"SELECT b.id, b.photo_hash FROM ("
        f" SELECT k.ballot_id, COUNT(*) AS shared FROM {keys_table} k"
        f" WHERE k.contest_id = %s AND {match} AND k.voter_id <> %s"
        f" GROUP BY k.ballot_id ORDER BY shared DESC, k.ballot_id LIMIT %s"
        f") c JOIN {ballots_table} b ON b.id = c.ballot_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [contest_id, *params, voter_id, MAX_CANDIDATES])
        return cursor.fetchall()


def photo_keys_store(ballot: CrowdBallot, value: int) -> None:
    CrowdPhotoKey.objects.bulk_create(
        CrowdPhotoKey(contest_id=ballot.contest_id, ballot=ballot, voter_id=ballot.voter_id, key=k)
        for k in photo_index.stored_keys(value)
    )


def ballot_photo_receive(
    *, received: Received, data: bytes, declared_type: str = "image/jpeg"
) -> CrowdBallot:
    """Store the ballot photo (evidence store, perceptual hash) and open a ballot for the choice.

    A photo the same as, or close to, an earlier photo of another voter makes this ballot spam
    (``duplicate_photo``, `duplicate_of` the nearest one) unless the voter is phone-verified
    (then only `duplicate_of` is set). The nearest earlier ballot is not made spam (whoever sent
    a photo first is not judged by who copied it), but its photo is no longer evidence of its
    sender's vote (`_photo_shared_mark`: one row, never a cascade). The display copy, the
    perceptual hash and the match with the contest's sample ballot are made by a job
    (`crowd.tasks.ballot_photo_process`), off the bot's reply path. Raises
    `evidence.services.EvidenceRejected` for files that are not photos or cannot be decoded.
    """
    from baqylau.evidence.services import store_media

    voter, submission = received.voter, received.submission
    _election, contest = poll_target()
    if contest is None:
        raise LookupError("no contest configured for the voters' bot")
    value = _photo_hash_checked(data, declared_type)
    media = store_media(submission, data, declared_type=declared_type, display_later=True)
    phone_verified = received.phone_verified or voter_phone_verified(voter, contest)
    with transaction.atomic():
        _photos_lock(contest.pk)
        nearest = photo_duplicate_find(contest.pk, value, voter.pk, media.sha256)
        reasons = list(voter.spam_reasons) if voter.spam else list(received.verdict.reasons)
        spam = voter.spam or received.verdict.spam
        # A phone-verified voter is one phone, one vote: a photo someone sent before them (a
        # fake clone harvesting voters' photos sends them on first) is kept as `duplicate_of`,
        # but does not make the verified voter's ballot spam.
        if nearest is not None and not phone_verified:
            reasons = sorted({*reasons, "duplicate_photo"})
            spam = True
        ballot = CrowdBallot.objects.create(
            submission=submission,
            voter=voter,
            contest=contest,
            station_id=voter.station_id,
            category=CrowdBallot.Category.SPAM if spam else CrowdBallot.Category.PENDING,
            photo=media,
            photo_hash=photo_index.to_hex(value),
            duplicate_of_id=nearest[0] if nearest else None,
            spam_reasons=sorted(set(reasons)) if spam else [],
        )
        photo_keys_store(ballot, value)
        if nearest is not None:
            _photo_shared_mark(nearest[0])
        from baqylau.crowd.tasks import ballot_photo_process

        transaction.on_commit(lambda: ballot_photo_process.enqueue(ballot.pk))
    return ballot


def _photo_hash_checked(data: bytes, declared_type: str) -> int:
    """The photo's 256-bit hash (`photo_index.photo_hash`), after the evidence store's own
    checks of type, size and pixel count, so that their messages come first; a photo that cannot
    be decoded is refused as the store refuses it (``corrupt_image``)."""
    from baqylau.evidence.services import ACCEPTED, EvidenceRejected, check_media, image_check

    info = check_media(data, declared_type=declared_type)
    pillow_format = ACCEPTED[info.content_type][1]
    if info.kind != "photo" or pillow_format is None:
        raise EvidenceRejected("corrupt_image")
    image_check(data, pillow_format)
    try:
        return photo_index.photo_hash(data)
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise EvidenceRejected("corrupt_image") from exc


def ballot_photo_complete(ballot_id: int) -> CrowdBallot | None:
    """The work on a ballot photo that is kept off the bot's reply path: the display copy and
    perceptual hash (`evidence.services.display_complete`; the population detection compares
    accounts' photos by that hash), then the match with the contest's sample ballot, if it has
    one (`ballot_photo_check`)."""
    from baqylau.evidence.services import display_complete

    ballot = CrowdBallot.objects.select_related("photo").filter(pk=ballot_id).first()
    if ballot is None or ballot.photo is None:
        return ballot
    media = display_complete(ballot.photo)
    if media.perceptual_hash and ballot.perceptual_hash != media.perceptual_hash:
        CrowdBallot.objects.filter(pk=ballot.pk).update(perceptual_hash=media.perceptual_hash)
        ballot.perceptual_hash = media.perceptual_hash
    if sample_ballot_exists(ballot.contest_id):
        return ballot_photo_check(ballot.pk)
    return ballot


def _photos_lock(contest_id: int) -> None:
    """Until the transaction ends, no other photo of the contest is checked and stored: two
    copies sent at the same moment (the bot works on several updates at once) cannot both miss
    each other."""
    advisory_lock(f"crowd.photos\0{contest_id}")


def _photo_shared_mark(ballot_id: int) -> None:
    """Another account sent this ballot's photo again: a photo two accounts claim is no evidence
    of either's vote (a fake clone sends harvested photos on first; an attacker sends near-copies
    of one real ballot after it), so the ballot loses the photo-matched tier for good (it keeps
    the phone-verified one). Only this one row changes."""
    earlier = (
        CrowdBallot.objects.select_for_update().filter(pk=ballot_id, photo_shared=False).first()
    )
    if earlier is None:
        return
    before = earlier.tier
    earlier.photo_shared = True
    if before == CrowdBallot.Tier.PHOTO_MATCHED:
        earlier.tier = CrowdBallot.Tier.UNVERIFIED
    earlier.save(update_fields=["photo_shared", "tier"])
    if earlier.tier != before and earlier.counted and earlier.station_id is not None:
        mark_stations(earlier.contest_id, [earlier.station_id])


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


# ---------------------------------------------------------------------------------------------
# the official sample ballot and the match of voters' photos with it


def sample_ballot_exists(contest_id: int) -> bool:
    return cached(
        f"sample_ballot:{contest_id}",
        lambda: SampleBallot.objects.filter(contest_id=contest_id).exists(),
    )


def sample_ballot_upload(*, contest: Contest, data: bytes, user) -> SampleBallot:
    """Store the contest's official sample ballot as evidence and map its rows to choices.

    Only staff with ``crowd.add_sampleballot`` may; the boxes found on the form (top to bottom)
    are given the contest's choices in ballot order when their numbers agree, else left unmapped
    (``choice`` None) for staff to set. Raises PermissionError, `EvidenceRejected`, ValueError
    (not an image).
    """
    from baqylau.evidence.services import store_media
    from baqylau.intake.services import store_envelope

    if not (user and user.is_active and user.has_perm("crowd.add_sampleballot")):
        raise PermissionError("not allowed to upload sample ballots")
    sample = ballot_match.prepare_sample(data)
    choices = list(contest.choices.order_by("number", "pk"))
    boxes = [
        {
            "choice": choices[n].pk if len(choices) == len(sample.boxes) else None,
            "x": x,
            "y": y,
            "w": w,
            "h": h,
        }
        for n, (x, y, w, h) in enumerate(sample.boxes)
    ]
    submission = store_envelope(
        election=contest.election,
        channel=Submission.Channel.WEB,
        kind=Submission.Kind.OTHER,
        sender=f"staff:{user.pk}",
        payload={"data": {"sample_ballot": contest.code}, "attachments": []},
        language="en",
    )
    media = store_media(submission, data)
    sample_ballot, _ = SampleBallot.objects.update_or_create(
        contest=contest,
        defaults={"photo": media, "boxes": boxes, "uploaded_by": user.get_username()},
    )
    _SAMPLES.pop(contest.pk, None)
    _CACHE.pop(f"sample_ballot:{contest.pk}", None)
    return sample_ballot


_SAMPLES: dict[int, tuple[float, ballot_match.Sample, list[int | None]]] = {}


def _prepared_sample(contest_id: int) -> tuple[ballot_match.Sample, list[int | None]] | None:
    """The contest's sample ballot, prepared once per process (and again when re-uploaded)."""
    from baqylau.evidence.services import open_variant

    row = SampleBallot.objects.filter(contest_id=contest_id).select_related("photo").first()
    if row is None:
        return None
    stamp = row.uploaded_at.timestamp()
    held = _SAMPLES.get(contest_id)
    if held is None or held[0] != stamp:
        prepared = ballot_match.prepare_sample(open_variant(row.photo, "original").read_bytes())
        boxes = [(b["x"], b["y"], b["w"], b["h"]) for b in row.boxes]
        prepared = ballot_match.with_boxes(prepared, boxes)
        held = (stamp, prepared, [b.get("choice") for b in row.boxes])
        _SAMPLES[contest_id] = held
    return held[1], held[2]


def ballot_photo_check(ballot_id: int) -> CrowdBallot | None:
    """Compare a ballot's photo with its contest's sample ballot; set `photo_match`, the marked
    choice and, when the choice is declared, whether they agree. The photo's display copy (the
    upright, metadata-free pixels compared) is made first if it is not there yet."""
    from baqylau.evidence.services import NoDisplayCopy, display_complete, open_variant

    ballot = CrowdBallot.objects.select_related("photo").filter(pk=ballot_id).first()
    if ballot is None or ballot.photo is None:
        return ballot
    prepared = _prepared_sample(ballot.contest_id)
    if prepared is None:
        return ballot
    sample, choice_ids = prepared
    try:
        media = display_complete(ballot.photo)
        result = ballot_match.match(sample, open_variant(media, "display").read_bytes())
    except (ValueError, NoDisplayCopy):  # not an image the match can read
        result = ballot_match.Match(False, 0)
    marked = (
        choice_ids[result.marked_row]
        if result.matches_form and result.marked_row is not None
        else None
    )
    return set_photo_match(ballot, result.matches_form, marked_choice_id=marked)


def _agrees(ballot: CrowdBallot) -> bool | None:
    """Marked box vs declared choice: None until both are known."""
    if ballot.photo_marked_choice_id is None or ballot.decided_at is None:
        return None
    return ballot.photo_marked_choice_id == ballot.choice_id


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
                station_id=voter.station_id,
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
        ballot.photo_choice_agrees = _agrees(ballot)
        ballot.tier = ballot_tier(ballot, phone_verified=voter_phone_verified(voter, contest))
        ballot.cluster_id, ballot.held = _open_cluster(voter)
        if spam:
            ballot.category = CrowdBallot.Category.SPAM
            ballot.spam_reasons = sorted(
                {*ballot.spam_reasons, *voter.spam_reasons, *received.verdict.reasons}
            )
            ballot.counted = False
        else:
            ballot.category = category
            ballot.counted = (
                ballot.station_id is not None and not ballot.held and _may_count(ballot)
            )
        ballot.save()
        if ballot.counted:  # the station's crowd-vs-official finding may change
            mark_stations(contest.pk, [ballot.station_id])
        contest_id = contest.pk
        transaction.on_commit(lambda: _detection_schedule(contest_id))
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


def _detection_schedule(contest_id: int) -> None:
    from baqylau.crowd.tasks import detection_schedule

    detection_schedule(contest_id)


# ---------------------------------------------------------------------------------------------
# trust tiers: phone verified (contact button), photo matched (sample ballot), unverified


class PhoneOutcome:
    """What `voter_phone_verify` did (the bot answers each in the voter's language)."""

    VERIFIED = "verified"  # this account's phone, first use in this election
    ALREADY = "already"  # this account had verified this phone already
    USED_BY_OTHER = "used_by_other"  # another account voted with this phone: one phone, one vote
    NOT_OWN = "not_own"  # the contact shared is someone else's
    FOREIGN = "foreign"  # a number outside the election's country (bought accounts often are)
    NO_ELECTION = "no_election"


def phone_prefixes() -> tuple[str, ...]:
    """The international prefixes (digits) of the numbers the phone tier takes
    (`VOTER_PHONE_PREFIXES`, comma-separated; default 77: Kazakhstan's +7 7xx; empty: any).

    Every Telegram account has a phone number, so the contact button alone makes one account one
    vote; accounts sold in bulk are mostly registered on numbers of other countries (virtual
    numbers), which this keeps out of the verified tier."""
    configured = os.environ.get("VOTER_PHONE_PREFIXES", "77")
    return tuple(p for p in map(phone_digits, configured.split(",")) if p)


def phone_digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def phone_in_country(phone: str) -> bool:
    prefixes = phone_prefixes()
    return not prefixes or phone_digits(phone).startswith(prefixes)


def phone_hash(phone: str) -> str:
    """Keyed hash (HMAC, the bots' id-hash key) of a phone number's digits; never the number."""
    digits = phone_digits(phone)
    if not digits:
        raise ValueError("no digits in the phone number")
    return keys.id_hash("phone", digits)


def voter_phone_verified(voter: CrowdVoter, contest: Contest) -> bool:
    return CrowdPhone.objects.filter(voter=voter, election_id=contest.election_id).exists()


def ballot_tier(ballot: CrowdBallot, *, phone_verified: bool) -> str:
    """The strongest tier the ballot has: a phone-verified voter, else a photo that shows this
    election's sample ballot with the marked box not disagreeing and that no other account sent
    too, else unverified."""
    if phone_verified:
        return CrowdBallot.Tier.PHONE_VERIFIED
    if (
        ballot.photo_match is True
        and ballot.photo_choice_agrees is not False
        and not ballot.photo_shared
    ):
        return CrowdBallot.Tier.PHOTO_MATCHED
    return CrowdBallot.Tier.UNVERIFIED


def voter_phone_verify(
    *, received: Received, sender_user_id: int, contact_user_id: int | None, phone: str
) -> str:
    """Verify the voter by the phone number Telegram's contact button shared.

    Only the sender's own contact is accepted (Telegram fills ``user_id`` of a contact with the
    account it belongs to), and only a number of the election's country (`phone_prefixes`). One phone number is one vote per election: a second account with the
    same number is marked spam (``duplicate_phone``) and its ballots are not counted. On success
    the voter's ballots in this election move to the ``phone_verified`` tier."""
    if contact_user_id is None or int(contact_user_id) != int(sender_user_id):
        return PhoneOutcome.NOT_OWN
    election, contest = poll_target()
    if election is None or contest is None:
        return PhoneOutcome.NO_ELECTION
    if not phone_in_country(phone):
        return PhoneOutcome.FOREIGN
    digest = phone_hash(phone)
    voter = received.voter
    existing = CrowdPhone.objects.filter(election=election, phone_hash=digest).first()
    if existing is not None:
        if existing.voter_id == voter.pk:
            return PhoneOutcome.ALREADY
        _refuse_duplicate_phone(voter, election)
        return PhoneOutcome.USED_BY_OTHER
    if CrowdPhone.objects.filter(election=election, voter=voter).exists():
        return PhoneOutcome.ALREADY  # one phone per account: the first one stays
    try:
        with transaction.atomic():
            CrowdPhone.objects.create(election=election, voter=voter, phone_hash=digest)
            _voter_retier(voter, election)
    except IntegrityError:  # the same number verified at the same moment by another account
        _refuse_duplicate_phone(voter, election)
        return PhoneOutcome.USED_BY_OTHER
    return PhoneOutcome.VERIFIED


def _voter_ballots(voter: CrowdVoter, election: Election):
    return CrowdBallot.objects.filter(voter=voter, contest__election=election)


def _refuse_duplicate_phone(voter: CrowdVoter, election: Election) -> None:
    with transaction.atomic():
        CrowdVoter.objects.filter(pk=voter.pk).update(spam=True)
        voter.spam = True
        voter.spam_reasons = sorted({*voter.spam_reasons, "duplicate_phone"})
        CrowdVoter.objects.filter(pk=voter.pk).update(spam_reasons=voter.spam_reasons)
        ballots = list(
            _voter_ballots(voter, election).values_list("pk", "contest_id", "station_id")
        )
        _mark_spam([pk for pk, _c, _s in ballots], "duplicate_phone")
        _mark_ballot_stations(ballots)


def _mark_ballot_stations(ballots: list[tuple[int, int, int | None]]) -> None:
    by_contest: dict[int, set[int]] = {}
    for _pk, contest_id, station_id in ballots:
        if station_id is not None:
            by_contest.setdefault(contest_id, set()).add(station_id)
    for contest_id, stations in by_contest.items():
        mark_stations(contest_id, stations)


def _voter_retier(voter: CrowdVoter, election: Election) -> None:
    """Recompute the tier of the voter's ballots in the election; recount their stations."""
    verified = CrowdPhone.objects.filter(voter=voter, election=election).exists()
    changed = []
    for ballot in _voter_ballots(voter, election).select_for_update():
        tier = ballot_tier(ballot, phone_verified=verified)
        if tier != ballot.tier:
            ballot.tier = tier
            ballot.save(update_fields=["tier"])
            changed.append((ballot.pk, ballot.contest_id, ballot.station_id))
    _mark_ballot_stations(changed)


_UNREAD = object()


def set_photo_match(
    ballot: CrowdBallot,
    matched: bool,
    choice_agrees: bool | None | object = _UNREAD,
    *,
    marked_choice_id: int | None = None,
) -> CrowdBallot:
    """The sample-ballot matcher's verdict on a ballot photo: does it show this election's
    ballot form, and which box is marked (`marked_choice_id`, None: not readable). Whether the
    marked box agrees with the declared choice is worked out here (None until both are known)
    unless `choice_agrees` is given. Recomputes the ballot's tier; its station is recounted when
    the tier changes."""
    with transaction.atomic():
        ballot = CrowdBallot.objects.select_for_update().select_related("contest").get(pk=ballot.pk)
        ballot.photo_match = bool(matched)
        ballot.photo_marked_choice_id = marked_choice_id if matched else None
        ballot.photo_choice_agrees = _agrees(ballot) if choice_agrees is _UNREAD else choice_agrees
        verified = voter_phone_verified(ballot.voter, ballot.contest)
        before = ballot.tier
        ballot.tier = ballot_tier(ballot, phone_verified=verified)
        ballot.save(
            update_fields=["photo_match", "photo_marked_choice", "photo_choice_agrees", "tier"]
        )
        if ballot.tier != before and ballot.counted and ballot.station_id:
            mark_stations(ballot.contest_id, [ballot.station_id])
    return ballot


# ---------------------------------------------------------------------------------------------
# suspect groups of accounts (population-level detection) and their bulk decisions


def _open_cluster(voter: CrowdVoter) -> tuple[int | None, bool]:
    """(cluster id, held): a voter in a group waiting for a moderator has its ballots held."""
    if voter.cluster_id is None:
        return None, False
    status = (
        SuspectCluster.objects.filter(pk=voter.cluster_id).values_list("status", flat=True).first()
    )
    return voter.cluster_id, status == SuspectCluster.Status.OPEN


def population_accounts(contest: Contest) -> list[population.Account]:
    """Every account with a ballot in the contest, as `population.detect` sees it (spam
    accounts left out: their ballots count nowhere already)."""
    verified = set(
        CrowdPhone.objects.filter(election_id=contest.election_id).values_list(
            "voter_id", flat=True
        )
    )
    latest: dict[int, tuple[int | None, str | None]] = {}
    rows = (
        CrowdBallot.objects.filter(contest=contest)
        .order_by("pk")
        .values_list("voter_id", "perceptual_hash", "category", "choice_id")
    )
    for voter_id, phash, category, choice_id in rows.iterator(chunk_size=20_000):
        hash_value, choice = latest.get(voter_id, (None, None))
        hash_value = population.phash_int(phash) if phash else hash_value
        if category in COUNTABLE:
            choice = str(choice_id) if category == "valid" and choice_id else category
        latest[voter_id] = (hash_value, choice)
    accounts = []
    voters = CrowdVoter.objects.filter(pk__in=list(latest), spam=False).values_list(
        "pk", "id_block", "language", "client", "first_seen"
    )
    for pk, block, language, client, first_seen in voters.iterator(chunk_size=20_000):
        phash, choice = latest[pk]
        accounts.append(
            population.Account(
                key=pk,
                id_block=block,
                language=language or "",
                client=client or "",
                first_seen=first_seen.timestamp(),
                verified=pk in verified,
                phash=phash,
                choice=choice,
            )
        )
    return accounts


@dataclass
class DetectionSummary:
    groups: int = 0
    new_groups: int = 0
    accounts_held: int = 0
    ballots_held: int = 0
    surges: int = 0
    divergence: dict | None = None


def population_detect(contest: Contest) -> DetectionSummary:
    """Run the population detection on a contest's voters: every suspect group becomes (or
    grows) a `SuspectCluster` waiting for a moderator, and its accounts' ballots are held (not
    counted) until the decision. A group already decided is never reopened: accounts joining its
    signature later form a new group."""
    report = population.detect(population_accounts(contest))
    summary = DetectionSummary(groups=len(report.groups), surges=len(report.surges))
    if report.divergence is not None:
        d = report.divergence
        summary.divergence = {
            "tvd": round(d.tvd, 4),
            "chi2": population.finite(d.chi2),
            "p_value": population.finite(d.p_value),
            "unverified": d.unverified,
            "verified": d.verified,
        }
    for group in report.groups:
        with transaction.atomic():
            fresh = list(
                CrowdVoter.objects.select_for_update()
                .filter(pk__in=group.members, cluster__isnull=True)
                .values_list("pk", flat=True)
            )
            cluster = _cluster_for(contest, group)
            if cluster is None:  # nothing new joined a decided group
                continue
            cluster.stats = {**group.stats, "surges": len(report.surges)}
            cluster.reasons = group.reasons
            cluster.save(update_fields=["stats", "reasons", "updated_at"])
            if not fresh:
                continue
            summary.new_groups += cluster.ballots.count() == 0
            CrowdVoter.objects.filter(pk__in=fresh).update(cluster=cluster)
            ballots = list(
                CrowdBallot.objects.select_for_update()
                .filter(contest=contest, voter_id__in=fresh)
                .values_list("pk", "contest_id", "station_id", "counted")
            )
            held = (
                CrowdBallot.objects.filter(pk__in=[b[0] for b in ballots])
                .exclude(category=CrowdBallot.Category.SPAM)
                .update(held=True, counted=False, cluster=cluster)
            )
            _mark_ballot_stations([b[:3] for b in ballots if b[3]])
            summary.accounts_held += len(fresh)
            summary.ballots_held += held
    return summary


def _cluster_for(contest: Contest, group: population.Group) -> SuspectCluster | None:
    """The open cluster of the group's signature, or a new generation after a decided one."""
    clusters = list(
        SuspectCluster.objects.select_for_update()
        .filter(contest=contest, signature__startswith=group.signature)
        .order_by("-pk")
    )
    clusters = [c for c in clusters if c.signature.split("#")[0] == group.signature]
    if clusters and clusters[0].status == SuspectCluster.Status.OPEN:
        return clusters[0]
    signature = group.signature if not clusters else f"{group.signature}#{len(clusters) + 1}"
    return SuspectCluster.objects.create(
        contest=contest, signature=signature, reasons=group.reasons, stats=group.stats
    )


def cluster_ballots_release(cluster: SuspectCluster, *, accept: bool) -> list[int]:
    """Apply a moderator's bulk decision to the group's held ballots (call inside the decision's
    transaction): accepted ballots count as any other (once per voter and station); rejected
    ones, and their accounts, become spam (``group_rejected``). Returns the ballot ids."""
    ballots = list(
        CrowdBallot.objects.select_for_update()
        .filter(cluster=cluster)
        .select_related("voter", "contest")
        .order_by("pk")
    )
    voters = set(cluster.voters.values_list("pk", flat=True)) | {b.voter_id for b in ballots}
    stations = []
    for ballot in ballots:
        ballot.held = False
        if not accept:
            ballot.category = CrowdBallot.Category.SPAM
            ballot.spam_reasons = sorted({*ballot.spam_reasons, "group_rejected"})
            ballot.counted = False
        elif (
            ballot.category in COUNTABLE
            and ballot.decided_at is not None
            and ballot.station_id is not None
            and not ballot.voter.spam
        ):
            ballot.counted = _may_count(ballot)
        ballot.save(update_fields=["held", "category", "spam_reasons", "counted"])
        stations.append((ballot.pk, ballot.contest_id, ballot.station_id))
    if not accept:
        for voter in CrowdVoter.objects.select_for_update().filter(pk__in=voters):
            voter.spam = True
            voter.spam_reasons = sorted({*voter.spam_reasons, "group_rejected"})
            voter.save(update_fields=["spam", "spam_reasons"])
    _mark_ballot_stations(stations)
    return [b.pk for b in ballots]
