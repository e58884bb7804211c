"""Moderation writes: the reviewer lock and decisions on protocol copies.

The lock is taken with one conditional UPDATE (free, expired, or already ours), so two
moderators can never both hold a copy. A decision needs the lock (it is taken on the spot when the
copy is free), is a new `Decision` row (never edited: a later one supersedes), sets the copy's
moderation state, releases the lock, and then the station is reconciled again.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from baqylau.evidence import ledger
from baqylau.moderation.models import Decision, RejectReason
from baqylau.protocols import services as protocol_services
from baqylau.protocols.models import ProtocolCopy

DEFAULT_LOCK_MINUTES = 15


class CopyLocked(Exception):
    """The copy is being reviewed by another moderator."""

    def __init__(self, copy: ProtocolCopy):
        self.copy = copy
        super().__init__(f"protocol copy {copy.pk} is locked by another moderator")


def lock_minutes() -> int:
    return int(getattr(settings, "MODERATION_LOCK_MINUTES", DEFAULT_LOCK_MINUTES))


def copy_lock(*, copy: ProtocolCopy, moderator, minutes: int | None = None) -> bool:
    """Lock the copy to `moderator` for N minutes (or extend their lock). False if someone else
    holds an unexpired lock. Atomic: one conditional UPDATE."""
    now = timezone.now()
    until = now + timedelta(minutes=minutes if minutes is not None else lock_minutes())
    taken = (
        ProtocolCopy.objects.filter(pk=copy.pk)
        .filter(
            Q(locked_by__isnull=True)
            | Q(locked_until__isnull=True)
            | Q(locked_until__lte=now)
            | Q(locked_by=moderator)
        )
        .update(locked_by=moderator, locked_until=until)
    )
    if taken:
        copy.locked_by, copy.locked_until = moderator, until
    else:
        copy.refresh_from_db(fields=["locked_by", "locked_until"])
    return bool(taken)


def copy_unlock(*, copy: ProtocolCopy, moderator) -> bool:
    """Release the moderator's own lock (no effect on another moderator's lock)."""
    released = ProtocolCopy.objects.filter(pk=copy.pk, locked_by=moderator).update(
        locked_by=None, locked_until=None
    )
    if released:
        copy.locked_by, copy.locked_until = None, None
    return bool(released)


def decision_create(
    *,
    copy: ProtocolCopy,
    moderator,
    verdict: str,
    reason: RejectReason | None = None,
    note: str = "",
) -> Decision:
    """Accept or reject a copy (a reason from the catalogue is required to reject)."""
    if verdict not in Decision.Verdict.values:
        raise ValidationError({"verdict": _("Choose accept or reject.")})
    if verdict == Decision.Verdict.REJECT:
        if reason is None:
            raise ValidationError({"reason": _("Choose the reason for rejecting the protocol.")})
        if not reason.active:
            raise ValidationError({"reason": _("This reason is no longer in use.")})
    else:
        reason = None
    with transaction.atomic():
        if not copy_lock(copy=copy, moderator=moderator, minutes=1):
            raise CopyLocked(copy)
        decision = Decision.objects.create(
            copy=copy, verdict=verdict, reason=reason, note=note.strip(), moderator=moderator
        )
        ledger.record_decision(decision)
        protocol_services.copy_moderation_set(
            copy=copy,
            moderation=(
                ProtocolCopy.Moderation.ACCEPTED
                if verdict == Decision.Verdict.ACCEPT
                else ProtocolCopy.Moderation.REJECTED
            ),
        )
        copy_unlock(copy=copy, moderator=moderator)
    protocol_services.station_reconcile(contest=copy.contest, station=copy.station)
    return decision
