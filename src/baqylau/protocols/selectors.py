"""Reads of the protocols app: a station's copies, its reconciled result and conflicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Prefetch, QuerySet

from baqylau.elections.models import AdminUnit, Choice, Election
from baqylau.protocols.models import (
    Conflict,
    CopyVote,
    ProtocolCopy,
    StationResult,
)


def localized_findings(findings: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Stored findings with the message in one language (kk, ru or en) next to their data."""
    rows = []
    for finding in findings or []:
        messages = finding.get("messages") or {}
        row = {key: value for key, value in finding.items() if key != "messages"}
        row["message"] = (
            messages.get(lang) or messages.get("ru") or next(iter(messages.values()), "")
        )
        rows.append(row)
    return rows


def station_get(station_id: int) -> AdminUnit | None:
    return (
        AdminUnit.objects.select_related("election")
        .filter(pk=station_id, kind=AdminUnit.Kind.STATION)
        .first()
    )


def station_copies(station: AdminUnit, *, contest=None) -> QuerySet[ProtocolCopy]:
    copies = ProtocolCopy.objects.filter(station=station).select_related("contest")
    if contest is not None:
        copies = copies.filter(contest=contest)
    return copies.prefetch_related(
        "lines", Prefetch("votes", queryset=CopyVote.objects.select_related("choice"))
    ).order_by("received_at", "pk")


def station_results(station: AdminUnit) -> QuerySet[StationResult]:
    return (
        StationResult.objects.filter(station=station)
        .select_related("contest")
        .prefetch_related("conflicts__choice")
        .order_by("contest__code")
    )


def result_votes(result: StationResult) -> dict[str, int]:
    """The settled votes of a station result by choice code."""
    votes = result.votes_by_choice()
    codes = dict(Choice.objects.filter(pk__in=votes).values_list("pk", "code"))
    return {codes[pk]: value for pk, value in votes.items() if pk in codes}


def result_copy_ids(result: StationResult) -> list[int]:
    """The ids of the copies taking part in ``result``."""
    return sorted(int(pk) for pk in result.copy_ids or [])


def station_conflicts(station: AdminUnit, *, contest=None) -> QuerySet[Conflict]:
    conflicts = Conflict.objects.filter(result__station=station).select_related(
        "choice", "result__contest"
    )
    if contest is not None:
        conflicts = conflicts.filter(result__contest=contest)
    return conflicts.order_by("result__contest__code", "line", "choice__number")


@dataclass
class StationStatus:
    station: AdminUnit
    copies: list[ProtocolCopy]
    results: list[StationResult]
    conflicts: list[Conflict] = field(default_factory=list)


def station_status(station: AdminUnit) -> StationStatus:
    return StationStatus(
        station=station,
        copies=list(station_copies(station)),
        results=list(station_results(station)),
        conflicts=list(station_conflicts(station)),
    )


def copy_lines(copy: ProtocolCopy) -> dict[str, int]:
    return {row.line: row.value for row in copy.lines.all()}


def copy_votes(copy: ProtocolCopy) -> list[tuple[Any, int]]:
    rows = sorted(copy.votes.all(), key=lambda v: (v.choice.number or 0, v.choice.code))
    return [(row.choice, row.votes) for row in rows]


def election_by_code(code: str) -> Election | None:
    return Election.objects.filter(code=code).first()


# ---------------------------------------------------------------------------------------------
# The independent count (tally models; derived data recomputed by the tally)


def election_count(election: Election, *, unit_id: int | None = None) -> dict[str, Any] | None:
    """Observed counts and estimates of a unit and its children (default: the top units).

    Votes are keyed by choice code. None when `unit_id` is not a unit of the election.
    """
    from baqylau.elections.models import Choice
    from baqylau.tally.models import Estimate, UnitCount

    units = AdminUnit.objects.filter(election=election)
    if unit_id is not None:
        unit = units.filter(pk=unit_id).first()
        if unit is None:
            return None
        wanted = units.filter(pk=unit.pk) | units.filter(parent=unit)
    else:
        wanted = units.filter(parent__isnull=True)
    wanted_ids = list(wanted.values_list("pk", flat=True))
    codes = {
        str(pk): code
        for pk, code in Choice.objects.filter(contest__election=election).values_list("pk", "code")
    }
    counts = (
        UnitCount.objects.filter(contest__election=election, unit_id__in=wanted_ids)
        .select_related("contest", "unit")
        .order_by("contest__code", "unit__path")
    )
    estimates = (
        Estimate.objects.filter(contest__election=election, unit_id__in=wanted_ids)
        .select_related("contest", "choice")
        .order_by("contest__code", "unit_id", "choice__number", "choice__code")
    )
    return {
        "counts": [
            {
                "contest": row.contest.code,
                "unit_id": row.unit_id,
                "unit_code": row.unit.code,
                "unit_path": row.unit.path,
                "unit_name": row.unit.localized_name,
                "stations_total": row.stations_total,
                "stations_covered": row.stations_covered,
                "registered_total": row.registered_total,
                "registered_covered": row.registered_covered,
                "lines": dict(row.lines or {}),
                "votes": {codes.get(str(k), str(k)): v for k, v in (row.votes or {}).items()},
                "computed_at": row.computed_at,
            }
            for row in counts
        ],
        "estimates": [
            {
                "contest": row.contest.code,
                "unit_id": row.unit_id,
                "choice": row.choice.code,
                "share": row.share,
                "margin": row.margin,
                "stations_used": row.stations_used,
                "random_sample": row.random_sample,
            }
            for row in estimates
        ],
    }


def election_comparisons(
    election: Election,
    *,
    kind: str | None = None,
    unit_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """Comparison findings (official vs observed) of an election: (total, one page of rows)."""
    from baqylau.tally.models import Finding

    findings = Finding.objects.filter(contest__election=election).select_related(
        "contest", "unit", "choice"
    )
    if kind:
        findings = findings.filter(kind=kind)
    if unit_id is not None:
        unit = AdminUnit.objects.filter(election=election, pk=unit_id).first()
        if unit is None:
            return 0, []
        findings = findings.filter(
            models.Q(unit=unit) | models.Q(unit__path__startswith=unit.path + "/")
        )
    findings = findings.order_by("contest__code", "unit__path", "kind", "line", "pk")
    total = findings.count()
    return total, [
        {
            "contest": row.contest.code,
            "unit_id": row.unit_id,
            "unit_path": row.unit.path,
            "kind": row.kind,
            "line": row.line,
            "choice": row.choice.code if row.choice else None,
            "observed": row.observed,
            "official": row.official,
            "difference": row.difference,
            "details": row.details or {},
        }
        for row in findings[offset : offset + limit]
    ]
