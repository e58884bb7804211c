"""Moderation writes: the reviewer lock, decisions on protocol copies, on disputed figures and
on violation reports. Every decision is a new row (never edited: a later one supersedes), in the
hash-chained ledger and the audit trail, in the transaction that applies it.

The lock is taken with one conditional UPDATE (free, expired, or already ours), so two
moderators can never both hold a copy. A decision on a copy needs the lock (taken on the spot
when the copy is free), sets the copy's moderation state, releases the lock, and marks the
station for the tally's recount (run by a background job at once): the public pages follow within
seconds, with no command to run.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from baqylau.crowd.models import ClusterDecision, SuspectCluster
from baqylau.evidence import ledger
from baqylau.moderation.models import Decision, IncidentDecision, RejectReason
from baqylau.observers.services import record_audit
from baqylau.protocols import services as protocol_services
from baqylau.protocols.models import ProtocolCopy
from baqylau.reports.models import Incident
from baqylau.tally.models import Conflict, PendingRecount, StationResult
from baqylau.tally.services import mark_stations, resolve_conflict

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
        record_audit(
            action="moderation.copy.decide",
            obj=copy,
            actor=moderator,
            after={"verdict": verdict, "reason": reason.code if reason else "", "note": note},
        )
        mark_stations(copy.contest_id, [copy.station_id])
    return decision


def agreeing_stations(copies: list[ProtocolCopy]) -> set[tuple[int, int]]:
    """(contest, station) pairs among the copies' stations whose copies agree, as the tally last
    counted them (its stored status "copies agree", with no recount waiting): the comparison is the
    tally's, never made a second time here."""
    pairs = {(c.contest_id, c.station_id) for c in copies}
    if not pairs:
        return set()
    contests = {contest for contest, _ in pairs}
    stations = {station for _, station in pairs}
    agreed = set(
        StationResult.objects.filter(
            contest_id__in=contests, station_id__in=stations, status=StationResult.Status.AGREED
        ).values_list("contest_id", "station_id")
    )
    waiting = set(
        PendingRecount.objects.filter(contest_id__in=contests, station_id__in=stations).values_list(
            "contest_id", "station_id"
        )
    )
    return (agreed - waiting) & pairs


def decisions_accept_agreeing(
    *, copies: list[ProtocolCopy], moderator
) -> tuple[list[Decision], list[ProtocolCopy]]:
    """Accept several copies at once (the bulk action of the queue): (decisions made, copies
    skipped). Only copies that passed the checks, of stations whose copies agree (decided before
    the first acceptance, which sends the station to a recount), are taken; each gets its own
    decision through `decision_create`, audited, in the ledger and marking its station for the
    recount job, as if accepted one by one. A copy another moderator holds is skipped, never
    half-decided."""
    agreeing = agreeing_stations(copies)
    decided, skipped = [], []
    for copy in copies:
        if (
            copy.checks != ProtocolCopy.Checks.PASSED
            or copy.moderation != ProtocolCopy.Moderation.PENDING
            or (copy.contest_id, copy.station_id) not in agreeing
        ):
            skipped.append(copy)
            continue
        try:
            decided.append(
                decision_create(copy=copy, moderator=moderator, verdict=Decision.Verdict.ACCEPT)
            )
        except CopyLocked:
            skipped.append(copy)
    return decided, skipped


def conflict_resolve(*, conflict: Conflict, value: int, reason: str, moderator) -> Conflict:
    """A moderator chooses the value of a figure the copies dispute (the tally's service, which
    keeps the decision in the audit trail and the ledger). Raises ValidationError in words."""
    try:
        resolved = resolve_conflict(conflict, value, reason, moderator)
    except ValueError as exc:
        raise ValidationError({"value": str(exc)}) from exc
    return resolved


def incident_decide(
    *, incident: Incident, moderator, verdict: str, reason: str, note: str = ""
) -> IncidentDecision:
    """Confirm or reject a violation report, with the reason (and a note for "other"). Only a
    confirmed violation is published and counted as "confirmed violations"."""
    if verdict not in IncidentDecision.Verdict.values:
        raise ValidationError({"verdict": _("Choose confirm or reject.")})
    if reason not in IncidentDecision.Reason.values:
        raise ValidationError({"reason": _("Choose the reason for the decision.")})
    if reason == IncidentDecision.Reason.OTHER and not note.strip():
        raise ValidationError({"note": _("Say why in the note.")})
    if reason not in IncidentDecision.REASONS[verdict]:
        raise ValidationError({"reason": _("This reason does not fit the decision.")})
    moderation = (
        Incident.Moderation.ACCEPTED
        if verdict == IncidentDecision.Verdict.CONFIRM
        else Incident.Moderation.REJECTED
    )
    with transaction.atomic():
        before = {"moderation": incident.moderation}
        decision = IncidentDecision.objects.create(
            incident=incident,
            verdict=verdict,
            reason=reason,
            note=note.strip(),
            moderator=moderator,
        )
        ledger.record_decision(decision)
        Incident.objects.filter(pk=incident.pk).update(moderation=moderation)
        incident.moderation = moderation
        ledger.record(incident)
        record_audit(
            action="moderation.incident.decide",
            obj=incident,
            actor=moderator,
            before=before,
            after={"moderation": moderation, "reason": reason, "note": note.strip()},
        )
        _refresh_station_summaries(incident)
    return decision


def _refresh_station_summaries(incident: Incident) -> None:
    """The station's page and the units above it show the change within seconds."""
    from baqylau.dashboard.tasks import refresh_summaries
    from baqylau.jobs.registry import URGENT

    station = incident.station
    paths = station.path.split("/")
    prefixes = ["/".join(paths[: i + 1]) for i in range(len(paths))]
    ids = list(
        type(station)
        .objects.filter(election_id=station.election_id, path__in=prefixes)
        .values_list("id", flat=True)
    )
    refresh_summaries.using(queue_name=URGENT).enqueue(incident.election_id, ids)


def crowd_group_decide(
    *, cluster: SuspectCluster, moderator, verdict: str, reason: str
) -> ClusterDecision:
    """Accept, or reject as spam, every ballot of a suspect group of voters' accounts at once
    (`crowd.population`), with the reason; ledgered and audited with the change it applies.
    Only a moderator may decide, and only a group still waiting."""
    from baqylau.crowd.services import cluster_ballots_release
    from baqylau.moderation.selectors import is_moderator

    if not is_moderator(moderator):
        raise PermissionDenied
    if verdict not in ClusterDecision.Verdict.values:
        raise ValidationError({"verdict": _("Choose accept or reject.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why.")})
    with transaction.atomic():
        cluster = SuspectCluster.objects.select_for_update().get(pk=cluster.pk)
        if cluster.status != SuspectCluster.Status.OPEN:
            raise ValidationError({"verdict": _("This group has been decided already.")})
        accept = verdict == ClusterDecision.Verdict.ACCEPT
        ballots = cluster_ballots_release(cluster, accept=accept)
        decision = ClusterDecision.objects.create(
            cluster=cluster,
            verdict=verdict,
            reason=reason.strip(),
            ballots=len(ballots),
            moderator=moderator,
        )
        ledger.record_decision(decision)
        before = {"status": cluster.status}
        cluster.status = (
            SuspectCluster.Status.ACCEPTED if accept else SuspectCluster.Status.REJECTED
        )
        cluster.save(update_fields=["status", "updated_at"])
        record_audit(
            action="moderation.crowd_group.decide",
            obj=cluster,
            actor=moderator,
            before=before,
            after={"status": cluster.status, "reason": reason.strip(), "ballots": ballots},
        )
    return decision
