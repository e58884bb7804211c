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
from baqylau.elections.selectors import ancestor_map, ancestor_of_kind, localized
from baqylau.observers.models import (
    Assignment,
    Coalition,
    Membership,
    Observer,
    Organisation,
    Shift,
    StationTarget,
    target_for,
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


def _is_platform_admin(user, scope: Scope) -> bool:
    return bool(
        user.is_superuser
        or Role.ADMIN in scope.roles
        or user.has_perm("observers.change_observer")  # Django admin permission holders
    )


def _in_subtree(station: AdminUnit, path: str) -> bool:
    return station.path == path or station.path.startswith(path + "/")


def may_manage(user, *, organisation_id: int, station: AdminUnit | None = None) -> bool:
    """May `user` change observers of this organisation (and place them at `station`)? The
    organisation's coordinators anywhere; its regional coordinators only at stations of their
    region (and without a station, only observers already placed there or not placed at all);
    platform admins everywhere."""
    if user is None or not user.is_authenticated:
        return False
    scope = scope_for(user)
    if _is_platform_admin(user, scope) or organisation_id in scope.org_ids:
        return True
    paths = [path for org_id, path in scope.regions if org_id == organisation_id]
    if not paths:
        return False
    if station is None:
        return True
    return any(_in_subtree(station, path) for path in paths)


def may_plan(user, station: AdminUnit) -> bool:
    """May `user` set a station's target: admins and coordinators, regional coordinators in their
    region."""
    if user is None or not user.is_authenticated:
        return False
    scope = scope_for(user)
    if _is_platform_admin(user, scope) or scope.org_ids:
        return True
    return any(_in_subtree(station, path) for _org, path in scope.regions)


def manageable_organisations(user) -> QuerySet[Organisation]:
    """Organisations whose observers the user may import, edit and place."""
    scope = scope_for(user)
    if _is_platform_admin(user, scope):
        return Organisation.objects.all()
    return Organisation.objects.filter(
        id__in=scope.org_ids | {org_id for org_id, _path in scope.regions}
    )


def manageable_observers(user) -> QuerySet[Observer]:
    """Observers the user may place (their public ids; identities stay as `observer_card` says):
    a coordinator's whole organisation; a regional coordinator's organisation's observers placed
    in the region or not placed yet."""
    scope = scope_for(user)
    qs = Observer.objects.select_related("organisation").filter(active=True)
    if _is_platform_admin(user, scope):
        return qs
    q = Q(organisation_id__in=scope.org_ids)
    for org_id, path in scope.regions:
        placed = Assignment.objects.filter(organisation_id=org_id)
        q |= Q(organisation_id=org_id) & (
            Q(pk__in=placed.filter(_subtree("station__", path)).values("observer_id"))
            | ~Q(pk__in=placed.values("observer_id"))
        )
    return qs.filter(q)


def planning_units(user, election: Election, kind: str = AdminUnit.Kind.DISTRICT):
    """Units of `kind` the user may place observers in (a regional coordinator's region only)."""
    units = AdminUnit.objects.filter(election=election, kind=kind)
    limit = region_paths(user)
    if limit is not None:
        q = Q(pk__in=[])
        for path in limit:
            q |= _subtree("", path)
        units = units.filter(q)
    return units.order_by("path")


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
        "training": observer.training,
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
    known = {station.pk for _e, station in found}
    for source in _placement_sources:
        for election, station in source(observer):
            if station.pk not in known:
                known.add(station.pk)
                found.append((election, station))
    if len(_placements) >= 20_000:
        _placements.clear()
    _placements[observer.pk] = (now, found)
    return found


#: Other places an observer may report from (a mobile group's open task), registered by the
#: apps that own them (`register_placement_source`); each returns [(election, station), ...].
_placement_sources: list = []


def register_placement_source(source) -> None:
    if source not in _placement_sources:
        _placement_sources.append(source)


def clear_placements(**_kwargs) -> None:
    _placements.clear()


def region_paths(user) -> list[str] | None:
    """Region subtrees a regional-only user is limited to; None when not limited by region."""
    scope = scope_for(user)
    if scope.everything or scope.org_ids or not scope.regions:
        return None
    return [path for _, path in scope.regions]


# --- coverage -------------------------------------------------------------------------------------


def observed_station_ids(election: Election) -> set[int]:
    """Stations that had observers: an observer was placed there (an assignment), or an
    observer's protocol copy of the station was received and not rejected by a moderator. The
    forensic comparison of observed and unobserved stations takes its mask from here."""
    from baqylau.protocols.models import ProtocolCopy

    placed = Assignment.objects.filter(election=election).values_list("station_id", flat=True)
    copied = (
        ProtocolCopy.objects.filter(station__election=election, source=ProtocolCopy.Source.OBSERVER)
        .exclude(moderation=ProtocolCopy.Moderation.REJECTED)
        .values_list("station_id", flat=True)
    )
    return set(placed) | set(copied)


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
    targets: dict[int, int] = {}
    for station_id, wanted in StationTarget.objects.filter(station__election=election).values_list(
        "station_id", "observers"
    ):
        targets[station_id] = max(wanted, targets.get(station_id, 0))
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
    ever_admitted: set[int] = set()
    for checkin in CheckIn.objects.filter(
        election=election, observer_id__in={a.observer_id for a in assignments}
    ).order_by("received_at", "id"):
        latest[(checkin.observer_id, checkin.station_id)] = checkin
        if checkin.status == CheckIn.Status.ADMITTED:
            ever_admitted.add(checkin.station_id)
    out_statuses = {CheckIn.Status.NOT_ADMITTED, CheckIn.Status.REMOVED}

    def excluded(a: Assignment) -> bool:
        c = latest.get((a.observer_id, a.station_id))
        return c is not None and c.status in out_statuses

    by_station: dict[int, list[Assignment]] = defaultdict(list)
    for a in assignments:
        by_station[a.station_id].append(a)
    no_count = [
        {"station_id": sid, "station": items[0].station.code, "path": items[0].station.path}
        for sid, items in sorted(by_station.items(), key=lambda kv: kv[1][0].station.path)
        if not any(a.shift == Shift.COUNT and not excluded(a) for a in items)
    ]
    # A station loses its observer when someone had been admitted there and nobody placed
    # there is admitted now (removed, left, or turned away).
    lost = [
        {"station_id": sid, "station": items[0].station.code, "path": items[0].station.path}
        for sid, items in sorted(by_station.items(), key=lambda kv: kv[1][0].station.path)
        if sid in ever_admitted
        and not any(
            (c := latest.get((a.observer_id, sid))) is not None
            and c.status == CheckIn.Status.ADMITTED
            for a in items
        )
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
                    "status_label": CheckIn.Status(c.status).label,
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
    return {
        "placed": bool(assignments),
        "no_count": no_count,
        "lost": lost,
        "not_admitted": not_admitted,
        "silent": silent,
    }


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
        for r in rows
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


# --- coverage per shift: planned / placed / checked in / reporting --------------------------------


def _natural(code: str) -> tuple:
    from baqylau.dashboard.selectors import natural_key

    return natural_key(code)


def _share(part: int, whole: int) -> float | None:
    """A share, or None (unknown, never 0) when there is nothing to divide by."""
    return part / whole if whole else None


def coverage_level(share: float | None) -> str:
    """The colour class of a coverage share: good (≥ 90 %), partial (≥ 50 %), poor, or none."""
    if share is None:
        return "none"
    if share >= 0.9:
        return "good"
    return "partial" if share >= 0.5 else "poor"


def station_presence(election: Election, station_ids=None) -> dict[str, Any]:
    """Per station: observers placed by shift, stations where someone was admitted, stations
    that reported anything, and stations that lost their observers (everyone who had been
    admitted there was since removed, or left, and nobody else is present)."""
    from baqylau.protocols.models import ProtocolCopy
    from baqylau.reports.models import CheckIn
    from baqylau.reports.selectors import MODELS

    assignments = Assignment.objects.filter(election=election)
    if station_ids is not None:
        assignments = assignments.filter(station_id__in=station_ids)
    placed: dict[tuple[int, str], set[int]] = defaultdict(set)
    for station_id, shift, observer_id in assignments.values_list(
        "station_id", "shift", "observer_id"
    ):
        placed[(station_id, shift)].add(observer_id)
    latest: dict[tuple[int, int], str] = {}
    ever_admitted: set[int] = set()
    for station_id, observer_id, status in (
        CheckIn.objects.filter(election=election)
        .order_by("received_at", "id")
        .values_list("station_id", "observer_id", "status")
    ):
        latest[(station_id, observer_id)] = status
        if status == CheckIn.Status.ADMITTED:
            ever_admitted.add(station_id)
    present = {s for (s, _o), status in latest.items() if status == CheckIn.Status.ADMITTED}
    checked_in: dict[tuple[int, str], bool] = {}
    for (station_id, shift), observers in placed.items():
        checked_in[(station_id, shift)] = any(
            latest.get((station_id, o)) == CheckIn.Status.ADMITTED for o in observers
        )
    reporting: set[int] = set()
    for model in MODELS.values():
        reporting |= set(
            model.objects.filter(election=election).values_list("station_id", flat=True)
        )
    reporting |= set(
        ProtocolCopy.objects.filter(station__election=election).values_list("station_id", flat=True)
    )
    return {
        "placed": placed,
        "checked_in": checked_in,
        "reporting": reporting,
        "lost": ever_admitted - present,
    }


def station_targets(election: Election) -> dict[tuple[int, str], int]:
    """(station id, shift or "") → observers wanted (see `target_for`)."""
    return {
        (station_id, shift): wanted
        for station_id, shift, wanted in StationTarget.objects.filter(
            station__election=election
        ).values_list("station_id", "shift", "observers")
    }


def shift_coverage(
    election: Election,
    *,
    shift: str = Shift.OPENING,
    level: str = AdminUnit.Kind.REGION,
    lang: str = "ru",
    user=None,
) -> dict[str, Any]:
    """Coverage of one shift per unit of `level`: stations; planned stations (with a target) and
    observers wanted; placed (stations with someone for the shift, and at their target); checked
    in (someone placed for the shift was admitted); reporting (anything received from the
    station); with shares of the planned stations and their colour. Without a plan (no target
    in the unit) the shares are unknown, never "no gaps". `user` limits rows to a regional
    coordinator's region. Also the uncovered planned stations and the stations that lost their
    observers."""
    units = ancestor_map(election)
    stations = list(
        AdminUnit.objects.filter(election=election, kind=AdminUnit.Kind.STATION).values_list(
            "id", "parent_id", "path", "code"
        )
    )
    limit = region_paths(user) if user is not None else None
    if limit is not None:
        stations = [s for s in stations if any(s[2].startswith(p + "/") for p in limit)]
    targets = station_targets(election)
    presence = station_presence(election)
    keys = ("stations", "planned", "wanted", "placed", "on_target", "checked_in", "reporting")
    rows: dict[int | None, dict[str, Any]] = {}
    total = dict.fromkeys(keys, 0)
    uncovered, lost = [], []
    for station_id, parent_id, path, code in stations:
        key = ancestor_of_kind(units, parent_id, level)
        row = rows.setdefault(
            key,
            {
                "unit_id": key,
                "name": localized(units[key], lang) if key in units else "—",
                "path": units[key]["path"] if key in units else "",
                **dict.fromkeys(keys, 0),
            },
        )
        observers = len(presence["placed"].get((station_id, shift), ()))
        wanted = target_for(targets, station_id, shift)
        planned = wanted is not None
        values = {
            "stations": 1,
            "planned": int(planned),
            "wanted": wanted or 0,
            "placed": int(planned and observers > 0),
            "on_target": int(planned and observers >= wanted),
            "checked_in": int(planned and presence["checked_in"].get((station_id, shift), False)),
            "reporting": int(planned and station_id in presence["reporting"]),
        }
        for k, v in values.items():
            row[k] += v
            total[k] += v
        region = ancestor_of_kind(units, parent_id, AdminUnit.Kind.REGION)
        where = {
            "station_id": station_id,
            "code": code,
            "path": path,
            "region_id": region,
            "observers": observers,
            "wanted": wanted or 0,
        }
        if planned and observers < wanted:
            uncovered.append(where)
        if station_id in presence["lost"]:
            lost.append(where)

    def finish(row: dict[str, Any]) -> dict[str, Any]:
        for k in ("placed", "on_target", "checked_in", "reporting"):
            share = _share(row[k], row["planned"])
            row[f"{k}_share"] = share
            row[f"{k}_pct"] = None if share is None else round(share * 100)
            row[f"{k}_level"] = coverage_level(share)
        return row

    result = [finish(r) for r in sorted(rows.values(), key=lambda r: _natural(r["path"]))]
    uncovered.sort(key=lambda s: _natural(s["path"]))
    lost.sort(key=lambda s: _natural(s["path"]))
    return {
        "level": level,
        "shift": shift,
        "rows": result,
        "total": finish(total),
        "has_plan": total["planned"] > 0,
        "uncovered": uncovered,
        "lost": lost,
    }


def uncovered_map(election: Election, coverage: dict[str, Any], href=None) -> dict[str, Any]:
    """The region map (the dashboard's choropleth) coloured by the share of planned stations
    that nobody covers in the shift; a region without a plan has no colour (no data)."""
    from baqylau.dashboard import maps

    planned: dict[int, int] = defaultdict(int)
    missing: dict[int, int] = defaultdict(int)
    units = ancestor_map(election)
    shift_targets = station_targets(election)
    targets = {
        sid for sid, _shift in shift_targets if target_for(shift_targets, sid, coverage["shift"])
    }
    for parent_id in AdminUnit.objects.filter(
        election=election, kind=AdminUnit.Kind.STATION, id__in=targets
    ).values_list("parent_id", flat=True):
        planned[ancestor_of_kind(units, parent_id, AdminUnit.Kind.REGION)] += 1
    for s in coverage["uncovered"]:
        missing[s["region_id"]] += 1
    regions = []
    for unit in AdminUnit.objects.filter(election=election, kind=AdminUnit.Kind.REGION):
        pcode = maps.pcode_for(unit.code, (unit.name_kk, unit.name_ru, unit.name_en))
        if pcode is None:
            continue
        value = _share(missing.get(unit.id, 0), planned.get(unit.id, 0))
        regions.append(
            maps.Region(
                pcode=pcode,
                unit_id=unit.id,
                name=unit.localized_name,
                value=value,
                href=href(unit) if href else "",
            )
        )
    from django.utils.translation import gettext

    title = gettext("Planned stations without observers")
    return {"svg": maps.render_svg(regions, "share", title=title), "regions": len(regions)}
