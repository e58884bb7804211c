"""Reads for observers: who may see what (scope), coverage tables, gap alerts, partners' coverage.

Scope rules (one place; views and the API only call these):
- platform admin (superuser or `admin` role) and moderators: every report; observers only by id;
- organisation coordinator: the reports, observers and identities of their organisation;
- regional coordinator: the same, limited to stations in their region's subtree;
- lawyer: the reports of their organisation; identities only of observers who consented;
- observer: their own reports and nothing else.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from baqylau import caches
from baqylau.db import Fetch
from baqylau.elections.models import AdminUnit, Election
from baqylau.elections.selectors import ancestor_map, ancestor_of_kind, localized, natural_key
from baqylau.observers.models import (
    Assignment,
    Coalition,
    Membership,
    Observer,
    Organisation,
    Shift,
    StationTarget,
)

Role = Membership.Role


@dataclass
class Scope:
    everything: bool = False  # admins and moderators: all reports
    org_ids: set[int] = field(default_factory=set)  # whole organisations (coordinators)
    regions: list[tuple[int, str]] = field(default_factory=list)  # (organisation id, region path)
    lawyer_org_ids: set[int] = field(default_factory=set)
    observer_ids: set[int] = field(default_factory=set)
    member_org_ids: set[int] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)

    @property
    def is_staff_role(self) -> bool:
        return bool(
            self.roles & {Role.ADMIN, Role.COORDINATOR, Role.REGIONAL, Role.MODERATOR, Role.LAWYER}
        )


def scope_for(user) -> Scope:
    scope = Scope()
    if user is None or not user.is_authenticated:
        return scope
    if user.is_superuser:
        scope.everything = True
        scope.roles.add(Role.ADMIN)
    for m in Membership.objects.filter(user=user).select_related("region"):
        scope.roles.add(m.role)
        scope.member_org_ids.add(m.organisation_id)
        if m.role in (Role.ADMIN, Role.MODERATOR):
            scope.everything = True
        elif m.role == Role.COORDINATOR:
            scope.org_ids.add(m.organisation_id)
        elif m.role == Role.REGIONAL:
            scope.regions.append((m.organisation_id, m.region.path))
        elif m.role == Role.LAWYER:
            scope.lawyer_org_ids.add(m.organisation_id)
        elif m.role == Role.OBSERVER:
            scope.observer_ids.add(m.observer_id)
    return scope


def _subtree(prefix: str, path: str) -> Q:
    return Q(**{f"{prefix}path": path}) | Q(**{f"{prefix}path__startswith": path + "/"})


def report_scope_q(
    scope: Scope, *, observer: str = "observer", station: str = "station"
) -> Q | None:
    """A filter for any record with an observer and a station; None means "everything"."""
    if scope.everything:
        return None
    q = Q(pk__in=[])
    orgs = scope.org_ids | scope.lawyer_org_ids
    if orgs:
        q |= Q(**{f"{observer}__organisation_id__in": orgs})
    for org_id, path in scope.regions:
        q |= Q(**{f"{observer}__organisation_id": org_id}) & _subtree(f"{station}__", path)
    if scope.observer_ids:
        q |= Q(**{f"{observer}_id__in": scope.observer_ids})
    return q


def scoped(queryset: QuerySet, user, **names: str) -> QuerySet:
    q = report_scope_q(scope_for(user), **names)
    return queryset if q is None else queryset.filter(q)


def visible_observers(user) -> QuerySet[Observer]:
    scope = scope_for(user)
    qs = Observer.objects.select_related("organisation")
    if scope.everything:
        return qs.all()
    q = Q(pk__in=[])
    if scope.org_ids:
        q |= Q(organisation_id__in=scope.org_ids)
    for org_id, path in scope.regions:
        q |= Q(organisation_id=org_id) & Q(
            pk__in=Assignment.objects.filter(_subtree("station__", path)).values("observer_id")
        )
    if scope.lawyer_org_ids:
        q |= Q(organisation_id__in=scope.lawyer_org_ids, consent_lawyers=True)
    if scope.observer_ids:
        q |= Q(pk__in=scope.observer_ids)
    return qs.filter(q)


def can_see_identity(user, observer: Observer) -> bool:
    """Name, phone and document: own organisation's coordinators (regional ones within their
    region), lawyers of the organisation when the observer consented, and the observer."""
    scope = scope_for(user)
    if observer.pk in scope.observer_ids or observer.organisation_id in scope.org_ids:
        return True
    if observer.organisation_id in scope.lawyer_org_ids and observer.consent_lawyers:
        return True
    return any(
        org_id == observer.organisation_id
        and Assignment.objects.filter(observer=observer)
        .filter(_subtree("station__", path))
        .exists()
        for org_id, path in scope.regions
    )


def observer_card(user, observer: Observer) -> dict[str, Any]:
    """What a user may see of one observer: the public id always, identity only when allowed."""
    card: dict[str, Any] = {
        "public_id": observer.public_id,
        "organisation": observer.organisation.localized_name,
        "training": observer.get_training_display(),  # the word, never the code
        "languages": observer.languages,
        "availability": observer.availability,
    }
    if can_see_identity(user, observer):
        card |= {
            "name": observer.name,
            "phone": observer.phone,
            "document": observer.document,
            "accreditation_number": observer.accreditation_number,
            "accreditation_date": observer.accreditation_date,
            "accreditation_body": observer.accreditation_body_name,
            "consent_lawyers": observer.consent_lawyers,
        }
    return card


#: user id → (when, observer): report intake asks this on every request. Emptied when a
#: membership, observer or user is saved or deleted, in every process (`baqylau.caches`);
#: "not an observer" is never cached.
OBSERVER_TTL = 30.0
_observers: dict[Any, tuple[float, Observer]] = {}
_observer_memberships = Fetch(Membership, ("observer", "observer__organisation"), ("user", "role"))


def clear_observer_cache(**_kwargs) -> None:
    _observers.clear()


def observer_for_user(user) -> Observer | None:
    if user is None or not user.is_authenticated:
        return None
    caches.check()
    now = time.monotonic()
    hit = _observers.get(user.pk)
    if hit is not None and now - hit[0] < OBSERVER_TTL:
        return hit[1]
    memberships = _observer_memberships(user.pk, Role.OBSERVER)
    membership = min(memberships, key=lambda m: m.pk) if memberships else None
    if membership is None or membership.observer is None:
        _observers.pop(user.pk, None)
        return None
    if len(_observers) >= 20_000:
        _observers.clear()
    _observers[user.pk] = (now, membership.observer)
    return membership.observer


#: observer id → (when, [(election, station), ...]): the observer's placements, which the
#: intake consults on every report and protocol copy. Emptied, like the other intake caches, whenever an assignment,
#: observer, station or election is saved or deleted, in every process (`baqylau.caches`).
PLACEMENT_TTL = 30.0
_placements: dict[int, tuple[float, list[tuple[Election, AdminUnit]]]] = {}
_assignments_at_stations = Fetch(Assignment, ("election", "station"), ("observer", "station__kind"))


def observer_placements(observer: Observer) -> list[tuple[Election, AdminUnit]]:
    """(election, station) of every station the observer is placed at (cached, see above)."""
    caches.check()
    now = time.monotonic()
    hit = _placements.get(observer.pk)
    if hit is not None and now - hit[0] < PLACEMENT_TTL:
        return hit[1]
    rows = _assignments_at_stations(observer.pk, AdminUnit.Kind.STATION)
    found = [(a.election, a.station) for a in rows]
    if len(_placements) >= 20_000:
        _placements.clear()
    _placements[observer.pk] = (now, found)
    return found


def clear_placements(**_kwargs) -> None:
    _placements.clear()


def region_paths(user) -> list[str] | None:
    """Region subtrees a regional-only user is limited to; None when not limited by region."""
    scope = scope_for(user)
    if scope.everything or scope.org_ids or not scope.regions:
        return None
    return [path for _, path in scope.regions]


# --- coverage -------------------------------------------------------------------------------------


def coverage_table(
    election: Election, *, level: str = AdminUnit.Kind.REGION, lang: str = "ru", user=None
) -> dict[str, Any]:
    """The seed's Table 2: per unit of `level`, stations, stations with observers assigned, stations
    observed (an observer checked in and was admitted), stations meeting their target, stations with
    a protocol copy, and the organisations present. `user` limits rows to a regional coordinator's
    region."""
    from baqylau.protocols.models import ProtocolCopy
    from baqylau.reports.models import CheckIn

    units = ancestor_map(election)
    stations = list(
        AdminUnit.objects.filter(election=election, kind=AdminUnit.Kind.STATION).values_list(
            "id", "parent_id", "path"
        )
    )
    limit = region_paths(user) if user is not None else None
    if limit is not None:
        stations = [s for s in stations if any(s[2].startswith(p + "/") for p in limit)]

    assigned = defaultdict(int)
    station_orgs: dict[int, set[int]] = defaultdict(set)
    for row in (
        Assignment.objects.filter(election=election)
        .values("station_id", "organisation_id")
        .annotate(n=Count("observer_id", distinct=True))
    ):
        assigned[row["station_id"]] += row["n"]
        station_orgs[row["station_id"]].add(row["organisation_id"])
    targets = dict(
        StationTarget.objects.filter(station__election=election).values_list(
            "station_id", "observers"
        )
    )
    observed = set(
        CheckIn.objects.filter(election=election, status=CheckIn.Status.ADMITTED).values_list(
            "station_id", flat=True
        )
    )
    with_copy = set(
        ProtocolCopy.objects.filter(station__election=election)
        .exclude(moderation=ProtocolCopy.Moderation.REJECTED)
        .values_list("station_id", flat=True)
    )
    org_names = {o.id: o.localized_name for o in Organisation.objects.all()}

    rows: dict[int | None, dict[str, Any]] = {}
    total = {"stations": 0, "assigned": 0, "observed": 0, "on_target": 0, "with_copy": 0}
    all_orgs: set[int] = set()
    for station_id, parent_id, _path in stations:
        key = ancestor_of_kind(units, parent_id, level)
        row = rows.setdefault(
            key,
            {
                "unit_id": key,
                "name": localized(units[key], lang) if key in units else "—",
                "path": units[key]["path"] if key in units else "",
                "stations": 0,
                "assigned": 0,
                "observed": 0,
                "on_target": 0,
                "with_copy": 0,
                "org_ids": set(),
            },
        )
        n = assigned.get(station_id, 0)
        values = {
            "stations": 1,
            "assigned": int(n > 0),
            "observed": int(station_id in observed),
            "on_target": int(n >= targets.get(station_id, StationTarget.DEFAULT)),
            "with_copy": int(station_id in with_copy),
        }
        for k, v in values.items():
            row[k] += v
            total[k] += v
        row["org_ids"] |= station_orgs.get(station_id, set())
        all_orgs |= station_orgs.get(station_id, set())

    result = []
    for row in sorted(rows.values(), key=lambda r: r["path"]):
        row["organisations"] = sorted(org_names[o] for o in row.pop("org_ids"))
        result.append(row)
    total["organisations"] = sorted(org_names[o] for o in all_orgs)
    return {"level": level, "rows": result, "total": total}


# --- gap alerts -----------------------------------------------------------------------------------


def gap_alerts(
    election: Election, *, user, silent_since: dt.datetime | None = None
) -> dict[str, list]:
    """What a coordinator must act on now, within the user's scope:
    - `no_count`: stations with observers assigned but nobody (still admitted) for the count;
    - `not_admitted`: observers whose latest check-in says not admitted or removed (send someone);
    - `silent`: assigned observers with no report since `silent_since`."""
    from baqylau.reports.models import CheckIn
    from baqylau.reports.selectors import last_report_times

    scope = scope_for(user)
    assignments = Assignment.objects.filter(election=election).select_related("observer", "station")
    q = report_scope_q(scope)
    if q is not None:
        assignments = assignments.filter(q)
    assignments = list(assignments)

    latest: dict[tuple[int, int], CheckIn] = {}
    for checkin in CheckIn.objects.filter(
        election=election, observer_id__in={a.observer_id for a in assignments}
    ).order_by("received_at", "id"):
        latest[(checkin.observer_id, checkin.station_id)] = checkin
    out_statuses = {CheckIn.Status.NOT_ADMITTED, CheckIn.Status.REMOVED}

    def excluded(a: Assignment) -> bool:
        c = latest.get((a.observer_id, a.station_id))
        return c is not None and c.status in out_statuses

    by_station: dict[int, list[Assignment]] = defaultdict(list)
    for a in assignments:
        by_station[a.station_id].append(a)
    no_count = [
        {"station_id": sid, "station": items[0].station.code, "path": items[0].station.path}
        for sid, items in sorted(
            by_station.items(), key=lambda kv: natural_key(kv[1][0].station.path)
        )
        if not any(a.shift == Shift.COUNT and not excluded(a) for a in items)
    ]
    not_admitted = []
    seen = set()
    for a in assignments:
        c = latest.get((a.observer_id, a.station_id))
        if c is not None and c.status in out_statuses and c.pk not in seen:
            seen.add(c.pk)
            not_admitted.append(
                {
                    "observer": a.observer.public_id,
                    "station": a.station.code,
                    "station_id": a.station_id,
                    "status": c.status,
                    "reason": c.reason,
                    "at": c.received_at,
                }
            )
    silent = []
    if silent_since is not None:
        last = last_report_times(election, {a.observer_id for a in assignments})
        reported = set()
        for a in assignments:
            if a.observer_id in reported:
                continue
            reported.add(a.observer_id)
            when = last.get(a.observer_id)
            if when is None or when < silent_since:
                silent.append(
                    {
                        "observer": a.observer.public_id,
                        "station": a.station.code,
                        "last_report": when,
                    }
                )
    return {"no_count": no_count, "not_admitted": not_admitted, "silent": silent}


def partner_coverage(user, election: Election) -> list[dict[str, str]]:
    """Stations covered by other organisations of the user's coalitions: station and organisation,
    never the observer."""
    scope = scope_for(user)
    own = scope.member_org_ids
    if not own:
        return []
    partners = (
        Organisation.objects.filter(coalitions__in=Coalition.objects.filter(organisations__in=own))
        .exclude(id__in=own)
        .distinct()
    )
    rows = (
        Assignment.objects.filter(election=election, organisation__in=partners)
        .values("station_id", "station__code", "station__path", "organisation_id")
        .distinct()
        .order_by("station__path")
    )
    names = {o.id: o.localized_name for o in partners}
    return [
        {
            "station_id": r["station_id"],
            "station": r["station__code"],
            "path": r["station__path"],
            "organisation": names[r["organisation_id"]],
        }
        for r in sorted(rows, key=lambda r: natural_key(r["station__path"]))
    ]


__all__ = [
    "Scope",
    "can_see_identity",
    "coverage_table",
    "gap_alerts",
    "observer_card",
    "observer_for_user",
    "observer_placements",
    "partner_coverage",
    "report_scope_q",
    "scope_for",
    "scoped",
    "visible_observers",
]
