"""Reads for reports, always through the user's scope (see `observers.selectors`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from baqylau.elections.models import AdminUnit, Election
from baqylau.observers.selectors import scoped
from baqylau.reports import forms
from baqylau.reports.models import CheckIn, ChecklistAnswer, Incident, Note, TurnoutCount

MODELS = {
    "checkin": CheckIn,
    "turnout": TurnoutCount,
    "incident": Incident,
    "checklist": ChecklistAnswer,
    "note": Note,
}


def visible_reports(user, kind: str, election: Election | None = None) -> QuerySet:
    """Reports of one kind that `user` may read (a regional coordinator: their region only;
    an observer: their own only)."""
    qs = MODELS[kind].objects.select_related("observer", "station")
    if election is not None:
        qs = qs.filter(election=election)
    return scoped(qs, user)


def last_report_times(election: Election, observer_ids) -> dict[int, dt.datetime]:
    last: dict[int, dt.datetime] = {}
    for model in MODELS.values():
        rows = (
            model.objects.filter(election=election, observer_id__in=observer_ids)
            .values("observer_id")
            .annotate(last=Max("received_at"))
        )
        for row in rows:
            if row["observer_id"] not in last or row["last"] > last[row["observer_id"]]:
                last[row["observer_id"]] = row["last"]
    return last


def report_row(kind: str, record: Any) -> dict[str, Any]:
    """One report as the API shows it: observer by public id only."""
    row = {
        "id": record.pk,
        "kind": kind,
        "observer": record.observer.public_id,
        "station": record.station.code,
        "station_path": record.station.path,
        "received_at": record.received_at,
    }
    if kind == "checkin":
        row |= {"status": record.status, "reason": record.reason, "at": record.at}
    elif kind == "turnout":
        row |= {
            "at": record.at,
            "count": record.observer_count,
            "commission_count": record.commission_count,
        }
    elif kind == "incident":
        row |= {
            "violation": record.violation.code,
            "at": record.occurred_at,
            "text": record.text,
            "moderation": record.moderation,
        }
    elif kind == "checklist":
        row |= {"form": record.form, "question": record.question, "answer": record.answer}
    else:
        row |= {"text": record.text}
    return row


def turnout_by_hour(election: Election, *, user) -> list[dict[str, Any]]:
    """Per hour of the day: stations reporting, the observers' counts and the commission's
    announced figures, summed over stations that gave both (the last count per station and hour)."""
    latest: dict[tuple[int, int], TurnoutCount] = {}
    for row in visible_reports(user, "turnout", election).order_by("at", "received_at"):
        hour = timezone.localtime(row.at, election.zone).hour
        latest[(row.station_id, hour)] = row
    by_hour: dict[int, dict[str, int]] = defaultdict(
        lambda: {"stations": 0, "observer": 0, "commission": 0, "paired": 0}
    )
    for (_station, hour), row in latest.items():
        acc = by_hour[hour]
        acc["stations"] += 1
        if row.commission_count is not None:
            acc["paired"] += 1
            acc["observer"] += row.observer_count
            acc["commission"] += row.commission_count
    return [
        {
            "hour": f"{hour:02d}:00",
            **acc,
            "difference": acc["commission"] - acc["observer"],
            "ratio": (acc["commission"] / acc["observer"]) if acc["observer"] else None,
        }
        for hour, acc in sorted(by_hour.items())
    ]


def incident_feed(
    election: Election,
    *,
    user,
    violation: str | None = None,
    region_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 200,
) -> QuerySet[Incident]:
    qs = visible_reports(user, "incident", election).select_related("violation")
    if violation:
        qs = qs.filter(violation__code=violation)
    if region_id:
        region = AdminUnit.objects.filter(pk=region_id, election=election).first()
        qs = qs.filter(station__path__startswith=(region.path + "/") if region else "\0")
    if since:
        qs = qs.filter(occurred_at__gte=since)
    if until:
        qs = qs.filter(occurred_at__lte=until)
    return qs.order_by("-occurred_at")[:limit]


def moderation_counts(election: Election, *, user) -> dict[str, int]:
    """What waits for a moderator: incidents in the user's scope, protocol copies (limited to the
    region of a regional coordinator)."""
    from baqylau.observers.selectors import region_paths
    from baqylau.protocols.models import ProtocolCopy

    copies = ProtocolCopy.objects.filter(
        station__election=election, moderation=ProtocolCopy.Moderation.PENDING
    )
    paths = region_paths(user)
    if paths is not None:
        q = Q(pk__in=[])
        for path in paths:
            q |= Q(station__path__startswith=path + "/")
        copies = copies.filter(q)
    return {
        "incidents": visible_reports(user, "incident", election)
        .filter(moderation=Incident.Moderation.PENDING)
        .count(),
        "protocol_copies": copies.count(),
    }


def turnout_discrepancies(election: Election, *, user=None) -> list[dict[str, Any]]:
    """Stations where the observer's last count disagrees with the final protocol.

    The protocol figure is the station's settled result (the tally's: copies that agree, or a
    moderator's decision): L5 (took part), minus L4 (voted outside the station, which the observer
    does not see being cast) when given. A flag is raised when the difference exceeds
    max(tolerance_abs, tolerance_rel × protocol figure) — both from the turnout form."""
    from baqylau.tally.models import StationResult

    spec = forms.load_form("turnout")["protocol_comparison"]
    took_part, outside = spec["took_part"], spec["outside"]
    counts = (
        visible_reports(user, "turnout", election)
        if user is not None
        else TurnoutCount.objects.filter(election=election).select_related("observer", "station")
    )
    last: dict[int, TurnoutCount] = {}
    for row in counts.order_by("at", "received_at"):
        last[row.station_id] = row
    if not last:
        return []
    lines: dict[int, dict[str, int]] = {}
    for station_id, settled in StationResult.objects.filter(
        station_id__in=last.keys(), status__in=StationResult.SETTLED
    ).values_list("station_id", "lines"):
        lines[station_id] = settled or {}
    flags = []
    for station_id, count in last.items():
        values = lines.get(station_id, {})
        if values.get(took_part) is None:
            continue
        in_station = values[took_part] - (values.get(outside) or 0)
        difference = in_station - count.observer_count
        tolerance = max(spec["tolerance_abs"], spec["tolerance_rel"] * in_station)
        flags.append(
            {
                "station_id": station_id,
                "station": count.station.code,
                "observer": count.observer.public_id,
                "observer_count": count.observer_count,
                "counted_at": count.at,
                "protocol_took_part": values[took_part],
                "protocol_in_station": in_station,
                "difference": difference,
                "tolerance": tolerance,
                "flag": abs(difference) > tolerance,
            }
        )
    return flags
