"""Reads of the tally: the observed count, findings and estimates of a unit, for pages, the API
and the CLI. Nothing here writes; everything is derived by `tally.services.recount`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet

from baqylau.elections.models import AdminUnit, Choice, Contest, Election
from baqylau.protocols.models import Conflict, StationResult
from baqylau.tally import engine
from baqylau.tally.models import Estimate, Finding, UnitCount


def contests_of(election_code: str) -> QuerySet[Contest]:
    return Contest.objects.filter(election__code=election_code).order_by("code")


def election_by_code(code: str) -> Election | None:
    return Election.objects.filter(code=code).first()


def root_unit(election: Election) -> AdminUnit | None:
    return AdminUnit.objects.filter(election=election, parent__isnull=True).order_by("id").first()


def unit_count(contest: Contest, unit: AdminUnit) -> UnitCount | None:
    return UnitCount.objects.filter(contest=contest, unit=unit).first()


def unit_findings(contest: Contest, unit: AdminUnit, *, below: bool = False) -> QuerySet[Finding]:
    """Findings at the unit (``below``: also at every unit under it, via the path prefix)."""
    qs = Finding.objects.filter(contest=contest).select_related("unit", "choice")
    if below:
        qs = qs.filter(unit__path__startswith=unit.path + "/") | qs.filter(unit=unit)
    else:
        qs = qs.filter(unit=unit)
    return qs.order_by("kind", "unit__path", "line", "choice__number")


def findings_by_kind(contest: Contest) -> dict[str, int]:
    rows = Finding.objects.filter(contest=contest).values("kind").annotate(n=Count("id"))
    return {row["kind"]: row["n"] for row in rows}


def stations_differing(contest: Contest) -> QuerySet[AdminUnit]:
    """Stations where an official figure differs from the observers' signed copies."""
    return AdminUnit.objects.filter(
        findings__contest=contest, findings__kind=Finding.Kind.STATION_DIFFERS
    ).distinct()


def unit_estimates(contest: Contest, unit: AdminUnit) -> QuerySet[Estimate]:
    return (
        Estimate.objects.filter(contest=contest, unit=unit)
        .select_related("choice")
        .order_by("-share")
    )


def open_conflicts(contest: Contest) -> QuerySet[Conflict]:
    return (
        Conflict.objects.filter(result__contest=contest, resolved_value__isnull=True)
        .select_related("result__station", "choice")
        .order_by("result__station__path", "line")
    )


def proposed_value(conflict: Conflict) -> int | None:
    """The value most copies hold (None on a tie): a proposal, a moderator decides."""
    return engine.majority([item.get("value") for item in conflict.values or []])


def station_result_counts(contest: Contest) -> dict[str, int]:
    rows = StationResult.objects.filter(contest=contest).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


@dataclass
class UnitReport:
    """Everything the tally knows about one unit of one contest, ready to print or render."""

    contest: Contest
    unit: AdminUnit
    count: UnitCount | None
    choices: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    estimate_label: str = engine.NOT_RANDOM_LABEL
    second_round: str | None = None


def unit_report(contest: Contest, unit: AdminUnit, *, findings_limit: int = 50) -> UnitReport:
    count = unit_count(contest, unit)
    estimates = {e.choice_id: e for e in unit_estimates(contest, unit)}
    report = UnitReport(contest=contest, unit=unit, count=count)
    for choice in Choice.objects.filter(contest=contest).order_by("number", "code"):
        est = estimates.get(choice.pk)
        row: dict[str, Any] = {
            "choice": choice,
            "votes": (count.votes or {}).get(str(choice.pk)) if count else None,
            "share": (count.shares or {}).get(str(choice.pk)) if count else None,
            "estimate": est.share if est else None,
            "margin": est.margin if est else None,
            "official_share": est.details.get("official_share") if est else None,
        }
        if est and "second_round" in est.details:
            report.second_round = est.details["second_round"]
        report.choices.append(row)
    report.findings = list(unit_findings(contest, unit, below=True)[:findings_limit])
    return report


__all__ = [
    "UnitReport",
    "contests_of",
    "election_by_code",
    "findings_by_kind",
    "open_conflicts",
    "proposed_value",
    "root_unit",
    "station_result_counts",
    "stations_differing",
    "unit_count",
    "unit_estimates",
    "unit_findings",
    "unit_report",
]
