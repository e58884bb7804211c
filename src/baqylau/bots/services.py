"""Writes for the bots: users, switches, link codes, rate buckets, observers' submissions.

All functions are synchronous (ORM); the async handlers call them through `sync_to_async`.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from baqylau.bots import keys
from baqylau.bots.models import BotControl, BotUser, LinkCode, ObserverLink, RateBucket
from baqylau.crowd.abuse import Bucket, bucket_take
from baqylau.intake.models import Submission
from baqylau.observers.models import Observer

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
DEFAULT_CODE_TTL = dt.timedelta(hours=48)
#: Wrong link codes: 5 tries, then one more every 2 minutes (per Telegram account).
LINK_ATTEMPTS = Bucket(rate=1 / 120, capacity=5)


# ---------------------------------------------------------------------------------------------
# users and switches


def bot_user_touch(bot: str, user_id: int, language: str | None = None) -> BotUser:
    user_hash = keys.id_hash("user", user_id)
    user, created = BotUser.objects.get_or_create(
        bot=bot, user_hash=user_hash, defaults={"language": _lang(language)}
    )
    user.messages += 1
    user.save(update_fields=["messages", "last_seen"])
    return user


def bot_user_language_set(bot: str, user_id: int, language: str) -> BotUser:
    user = bot_user_touch(bot, user_id, language)
    user.language = _lang(language)
    user.save(update_fields=["language"])
    ObserverLink.objects.filter(user_hash=user.user_hash, active=True).update(
        language=user.language
    )
    return user


def bot_control_ensure(bot: str) -> BotControl:
    control, _ = BotControl.objects.get_or_create(bot=bot)
    return control


def bot_username_set(bot: str, username: str) -> None:
    bot_control_ensure(bot)
    BotControl.objects.filter(bot=bot).update(username=username or "")


def intake_pause_set(bot: str, paused: bool) -> None:
    bot_control_ensure(bot)
    BotControl.objects.filter(bot=bot).update(intake_paused=paused)


def _lang(value: str | None) -> str:
    code = (value or "").lower()[:2]
    return code if code in ("kk", "ru", "en") else "ru"


# ---------------------------------------------------------------------------------------------
# rate buckets (shared by every process through the database)


#: Compare-and-set tries before `rate_take` falls back to locking the bucket's row.
RATE_CAS_ATTEMPTS = 4


def rate_take(key: str, bucket: Bucket, *, now: float | None = None, cost: float = 1.0) -> bool:
    """Take `cost` tokens from the bucket `key`; False when it is empty.

    Every update of the voters' bot takes from one global bucket, so no lock is held while
    Python works: the row is read, the new level computed (`bucket_take`) and written only if
    the row is still as read (compare-and-set, one statement each); a row changed in between is
    read again. After `RATE_CAS_ATTEMPTS` lost races the row is locked instead."""
    now = time.time() if now is None else now
    for _attempt in range(RATE_CAS_ATTEMPTS):
        row = RateBucket.objects.filter(key=key).values_list("pk", "tokens", "updated").first()
        if row is None:
            allowed, left = bucket_take(bucket, None, None, now, cost)
            try:
                with transaction.atomic():
                    RateBucket.objects.create(key=key, tokens=left, updated=now)
                return allowed
            except IntegrityError:
                continue  # created by someone else meanwhile: take from theirs
        pk, tokens, updated = row
        allowed, left = bucket_take(bucket, tokens, updated, now, cost)
        # never back in time (updates worked on at once arrive out of order)
        written = RateBucket.objects.filter(pk=pk, tokens=tokens, updated=updated).update(
            tokens=left, updated=max(now, updated)
        )
        if written:
            return allowed
    return _rate_take_locked(key, bucket, now, cost)


def _rate_take_locked(key: str, bucket: Bucket, now: float, cost: float) -> bool:
    with transaction.atomic():
        row = RateBucket.objects.select_for_update().get(key=key)
        allowed, left = bucket_take(bucket, row.tokens, row.updated, now, cost)
        RateBucket.objects.filter(pk=row.pk).update(tokens=left, updated=max(now, row.updated))
    return allowed


# ---------------------------------------------------------------------------------------------
# linking an observer's Telegram account


def _code_hash(code: str) -> str:
    normalised = "".join(code.split()).upper().replace("-", "")
    return keys.id_hash("link-code", normalised)


def link_code_issue(
    observer: Observer, *, ttl: dt.timedelta = DEFAULT_CODE_TTL, created_by: str = ""
) -> str:
    """A new one-time code (shown once; only its keyed hash is stored). Older unused codes of the
    observer stop working."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    now = timezone.now()
    with transaction.atomic():
        LinkCode.objects.filter(observer=observer, used_at__isnull=True).update(expires_at=now)
        LinkCode.objects.create(
            observer=observer,
            code_hash=_code_hash(code),
            expires_at=now + ttl,
            created_by=created_by[:128],
        )
    return f"{code[:4]}-{code[4:]}"


class LinkLocked(Exception):
    """Too many wrong codes from this account."""


def link_code_redeem(
    code: str, *, user_id: int, chat_id: int, language: str | None = None
) -> ObserverLink | None:
    """Link the Telegram account to the code's observer; None when the code is not valid."""
    user_hash = keys.id_hash("user", user_id)
    now = timezone.now()
    with transaction.atomic():
        found = (
            LinkCode.objects.select_for_update()
            .select_related("observer")
            .filter(code_hash=_code_hash(code), used_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if found is None or not found.observer.active:
            failed = True
        else:
            failed = False
            found.used_at = now
            found.save(update_fields=["used_at"])
            ObserverLink.objects.filter(user_hash=user_hash, active=True).update(active=False)
            ObserverLink.objects.filter(observer=found.observer, active=True).update(active=False)
            link = ObserverLink(
                observer=found.observer,
                user_hash=user_hash,
                language=_lang(language or found.observer.language),
            )
            link.chat_id = chat_id
            link.save()
    if failed:
        if not rate_take(f"link-fail:{user_hash}", LINK_ATTEMPTS):
            raise LinkLocked
        return None
    return link


def link_locked(user_id: int) -> bool:
    row = RateBucket.objects.filter(key=f"link-fail:{keys.id_hash('user', user_id)}").first()
    if row is None:
        return False
    allowed, _ = bucket_take(LINK_ATTEMPTS, row.tokens, row.updated, time.time())
    return not allowed


# ---------------------------------------------------------------------------------------------
# what observers send


def raw_store(
    *, bot: str, kind: str, sender: str, data: Any, language: str = "ru", election=None
) -> Submission:
    """Store an update as it came (paused bot, or anything not parsed into a record)."""
    from baqylau.intake.services import store_envelope

    return store_envelope(
        election=election,
        channel=Submission.Channel.TELEGRAM,
        kind=kind,
        sender=sender,
        payload={"data": {"bot": bot, "update": data}, "attachments": []},
        language=language,
    )


def observer_protocol_submit(
    *,
    observer: Observer,
    election_code: str | None,
    station_id: int,
    lines: Mapping[str, int],
    votes: Mapping[str, int],
    photos: Sequence[bytes],
    language: str,
):
    """Send a protocol copy through the common intake. The station is the one the observer
    picked among their own placements, by its id (a number that repeats in another district is
    never ambiguous)."""
    from baqylau.observers.selectors import observer_placements
    from baqylau.protocols.intake import submit_protocol_copy
    from baqylau.protocols.models import ProtocolCopy

    payload: dict[str, Any] = {"station_id": station_id, "lines": dict(lines), "votes": dict(votes)}
    if election_code:
        payload["election"] = election_code
    return submit_protocol_copy(
        channel=Submission.Channel.TELEGRAM,
        sender=observer.public_id,
        source=ProtocolCopy.Source.OBSERVER,
        placed_at={station.pk for _election, station in observer_placements(observer)},
        payload=payload,
        photos=[(data, "image/jpeg", page) for page, data in enumerate(photos, start=1)],
        language=language,
    )


def observer_report_submit(
    *,
    kind: str,
    observer: Observer,
    data: Mapping[str, Any],
    files: Iterable[tuple[bytes, str]] = (),
    language: str,
):
    """Check-in, turnout or violation through the reports service (stored with its verdict)."""
    from baqylau.reports.services import submit_report

    return submit_report(
        kind=kind,
        data=dict(data),
        observer=observer,
        channel=Submission.Channel.TELEGRAM,
        language=language,
        files=list(files),
    )


def receipt_sign(*, bot: str, submission: Submission, extra: Mapping[str, Any] = ()) -> str:
    """A signed receipt the sender can quote (and anyone can verify on /bots/verify/)."""
    from baqylau.bots.selectors import bot_username

    fields = {
        "bot": "@" + (bot_username(bot) or bot),
        "kind": "receipt",
        "receipt": str(submission.id),
        "submission": submission.get_kind_display(),
        "payload_sha256": submission.payload_sha256,
        "received": submission.received_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
    }
    fields.update(dict(extra))
    return keys.sign(fields)


def verify_statement_sign(bot: str) -> str:
    from baqylau.bots.selectors import bot_username

    return keys.sign({"bot": "@" + (bot_username(bot) or bot), "kind": "verify"})
