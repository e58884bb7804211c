"""Writes of mobile groups: register a group, send it to a station from a critical incident,
and record its arrival and report. The arrival and the report are ordinary reports written by
the one intake writer (`reports.services.submit_report`); the dispatch only points at them.
Every change is audited and ledgered."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from baqylau import caches
from baqylau.elections.models import AdminUnit
from baqylau.evidence import ledger
from baqylau.mobile.models import Dispatch, MobileGroup
from baqylau.observers.models import Observer, Organisation
from baqylau.observers.services import ServiceError, authorize, record_audit, snapshot
from baqylau.reports.models import Incident, ViolationType

_TASK_FIELDS = ("group_id", "incident_id", "station_id", "status", "arrival_id", "report_id")


def _audited(task: Dispatch) -> dict:
    return {
        k: (str(v) if isinstance(v, uuid.UUID) else v)
        for k, v in snapshot(task, _TASK_FIELDS).items()
    }


@transaction.atomic
def register_group(
    *,
    organisation: Organisation,
    name: str,
    area: AdminUnit,
    members: list[Observer],
    lawyer_on_board: bool = False,
    actor=None,
) -> MobileGroup:
    authorize(actor, organisation_id=organisation.pk, station=area)
    if area.kind == AdminUnit.Kind.STATION:
        raise ServiceError(_("A mobile group covers a region or a district, not one station."))
    if not members:
        raise ServiceError(_("A mobile group needs at least one member."))
    if any(m.organisation_id != organisation.pk for m in members):
        raise ServiceError(_("Every member must be an observer of the organisation."))
    group = MobileGroup.objects.create(
        organisation=organisation, name=name.strip(), area=area, lawyer_on_board=lawyer_on_board
    )
    group.members.set(members)
    ledger.record(group)
    record_audit(action="mobile.group.create", obj=group, actor=actor, after=group.ledger_content())
    return group


@transaction.atomic
def dispatch(*, group: MobileGroup, incident: Incident, actor, instructions: str = "") -> Dispatch:
    """Send `group` to the incident's station; its members are told in the bot (a job) and see
    the task in the observer app."""
    from baqylau.mobile.selectors import may_send

    if actor is None or not may_send(actor, group, incident.station):
        raise PermissionDenied
    if incident.violation.severity != ViolationType.Severity.CRITICAL:
        raise ServiceError(_("Mobile groups are sent to critical incidents."))
    if Dispatch.objects.filter(group=group, status__in=["sent", "arrived"]).exists():
        raise ServiceError(_("This group is already on a task."))
    task = Dispatch.objects.create(
        group=group,
        incident=incident,
        election_id=incident.election_id,
        station=incident.station,
        instructions=instructions.strip(),
        sent_by=actor,
    )
    ledger.record(task)
    record_audit(action="mobile.dispatch", obj=task, actor=actor, after=_audited(task))
    from baqylau.mobile.tasks import notify_dispatch

    notify_dispatch.enqueue(task.pk)  # the members are told in the bot (when it runs)
    return task


def _member_task(observer: Observer, dispatch_id: int) -> Dispatch:
    task = (
        Dispatch.objects.select_related("station", "election", "group")
        .filter(pk=dispatch_id, group__members=observer)
        .first()
    )
    if task is None:
        raise PermissionDenied
    return task


def record_arrival(
    *, observer: Observer, dispatch_id: int, channel: str, user=None, language: str = "ru"
):
    """The group is at the station: an admitted check-in, sent through the intake like any
    other (the intake's follow-up, `link_reports`, ties it to the dispatch)."""
    from baqylau.reports.services import submit_report

    task = _member_task(observer, dispatch_id)
    if task.status != Dispatch.Status.SENT:
        raise ServiceError(_("The arrival is already recorded."))
    return submit_report(
        kind="checkin",
        data={"election": task.election.code, "station_id": task.station_id, "status": "admitted"},
        observer=observer,
        channel=channel,
        user=user,
        language=language,
    )


def record_report(
    *,
    observer: Observer,
    dispatch_id: int,
    text: str,
    files=(),
    channel: str,
    user=None,
    language: str = "ru",
):
    """What the group found, with photos of the act it drew up: a report through the intake,
    tied to the dispatch by `link_reports`, which closes the task."""
    from baqylau.reports.services import submit_report

    task = _member_task(observer, dispatch_id)
    if not task.is_open:
        raise ServiceError(_("This task is closed."))
    return submit_report(
        kind="note",
        data={"election": task.election.code, "station_id": task.station_id, "text": text},
        observer=observer,
        channel=channel,
        user=user,
        language=language,
        files=list(files),
    )


def link_reports(plans) -> None:
    """Intake follow-up (in the batch's transaction): a report a member of a group on a task
    sends from the task's station is the group's arrival (an admitted check-in) or its report
    (a free-text report or a violation report, with the act's photos) — from any channel: the
    observer app, the bot, the API."""
    from baqylau.reports.models import CheckIn

    rows = [p.records[0] for p in plans if p.recorded and p.outcome.kind in _LINKED]
    on_task = _OPEN_MEMBERS.get("ids", _open_members)
    if not any(r.observer_id in on_task for r in rows):
        return  # the usual case: nobody in the batch is on a task (no query)
    open_tasks = list(
        Dispatch.objects.filter(
            status__in=["sent", "arrived"], group__members__in={r.observer_id for r in rows}
        ).values_list("pk", "station_id", "group__members")
    )
    if not open_tasks:
        return
    for plan in plans:
        if not (plan.recorded and plan.outcome.kind in _LINKED):
            continue
        row = plan.records[0]
        for pk, station_id, member in open_tasks:
            if station_id != row.station_id or member != row.observer_id:
                continue
            task = Dispatch.objects.select_for_update().get(pk=pk)
            kind = plan.outcome.kind
            if kind == "checkin":
                if row.status != CheckIn.Status.ADMITTED or task.status != Dispatch.Status.SENT:
                    continue
                task.arrival, task.status, action = (
                    plan.submission,
                    Dispatch.Status.ARRIVED,
                    "mobile.arrived",
                )
            elif task.is_open:
                task.report, task.status, action = (
                    plan.submission,
                    Dispatch.Status.REPORTED,
                    "mobile.reported",
                )
            else:
                continue
            task.save(update_fields=["arrival", "report", "status"])
            ledger.record(task)
            record_audit(
                action=action,
                obj=task,
                actor=plan.actor,
                actor_label=plan.actor_label,
                after=_audited(task),
            )


_LINKED = {"checkin", "note", "incident"}

#: Observers on an open task, read on every report batch; emptied in every process when a
#: dispatch or a group changes (`baqylau.caches`, connected in apps.py).
_OPEN_MEMBERS = caches.TTL(30.0, maxsize=1)


def _open_members() -> frozenset[int]:
    return frozenset(
        Dispatch.objects.filter(status__in=["sent", "arrived"]).values_list(
            "group__members", flat=True
        )
    )


def mark_notified(dispatch_id: int, count: int) -> None:
    Dispatch.objects.filter(pk=dispatch_id).update(notified=count)
