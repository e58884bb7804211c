"""Reads of mobile groups: who may see and send them, a member's open tasks, a dispatch's
story (the reports its members sent from the station since it was sent)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from baqylau.elections.models import AdminUnit, Election
from baqylau.mobile.models import Dispatch, MobileGroup
from baqylau.observers.models import Observer
from baqylau.observers.selectors import may_manage, scope_for


def groups_for(user) -> QuerySet[MobileGroup]:
    """Groups the user may see and send: their organisations' (a regional coordinator's: those
    whose area lies in or contains their region); platform admins: all."""
    scope = scope_for(user)
    qs = MobileGroup.objects.select_related("organisation", "area").prefetch_related("members")
    if user.is_superuser or "admin" in scope.roles:
        return qs
    q = Q(organisation_id__in=scope.org_ids)
    for org_id, path in scope.regions:
        q |= Q(organisation_id=org_id) & (
            Q(area__path=path)
            | Q(area__path__startswith=path + "/")
            | Q(
                pk__in=[
                    g.pk
                    for g in qs.filter(organisation_id=org_id)
                    if path.startswith(g.area.path + "/")
                ]
            )
        )
    return qs.filter(q)


def may_send(user, group: MobileGroup, station: AdminUnit) -> bool:
    return group.active and may_manage(user, organisation_id=group.organisation_id, station=station)


def groups_near(user, station: AdminUnit) -> list[MobileGroup]:
    """Active groups the user may send to `station`, those whose area holds it first."""
    groups = [g for g in groups_for(user).filter(active=True) if may_send(user, g, station)]
    busy = set(
        Dispatch.objects.filter(group__in=groups, status__in=["sent", "arrived"]).values_list(
            "group_id", flat=True
        )
    )
    for g in groups:
        g.busy = g.pk in busy
        g.covers = station.path.startswith(g.area.path + "/")
    return sorted(groups, key=lambda g: (g.busy, not g.covers, g.name))


def open_dispatches(observer: Observer) -> QuerySet[Dispatch]:
    return (
        Dispatch.objects.filter(group__members=observer, status__in=["sent", "arrived"])
        .select_related("group", "incident__violation", "station", "election")
        .order_by("-sent_at")
    )


def dispatch_placements(observer: Observer) -> list[tuple[Election, AdminUnit]]:
    """The stations of a member's open tasks (a placement source: see observers.selectors)."""
    return [(d.election, d.station) for d in open_dispatches(observer)]


def dispatches_for(user, *, election: Election | None = None) -> QuerySet[Dispatch]:
    qs = Dispatch.objects.filter(group__in=groups_for(user)).select_related(
        "group", "incident__violation", "station", "election"
    )
    if election is not None:
        qs = qs.filter(election=election)
    return qs


def dispatch_story(dispatch: Dispatch) -> dict[str, Any]:
    """What the group sent about the task (through the intake: check-in, notes with the act's
    photos), and the legal cases that cite the incident."""
    from baqylau.legal.models import Case
    from baqylau.reports.models import CheckIn, Note

    arrival = (
        CheckIn.objects.filter(submission=dispatch.arrival_id).first()
        if dispatch.arrival_id
        else None
    )
    report = (
        Note.objects.filter(submission=dispatch.report_id).first() if dispatch.report_id else None
    )
    from baqylau.evidence.services import signed_url

    media = []
    if dispatch.report_id:
        for m in dispatch.report.media.order_by("page", "pk"):
            try:  # display copies only (no EXIF), never the original
                media.append({"sha256": m.sha256, "url": signed_url(m, None, "display", 600)})
            except Exception:  # noqa: BLE001 - no display copy (a video): listed without a link
                media.append({"sha256": m.sha256, "url": ""})
    return {
        "arrival": arrival,
        "report": report,
        "media": media,
        "cases": list(Case.objects.filter(incidents=dispatch.incident_id).order_by("pk")),
    }
