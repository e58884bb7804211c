"""Reads of the tally: each station's reconciled result and conflicts, the count, the findings
and the estimates of a unit, for pages, PDFs, exports, the API and the CLI. Nothing here writes;
everything is derived by `tally.services.recount`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import QuerySet

from baqylau.elections.models import AdminUnit, Choice, Contest, Election
from baqylau.protocols.models import ProtocolCopy
from baqylau.protocols.selectors import station_copies
from baqylau.tally import engine
from baqylau.tally.models import Conflict, Estimate, Finding, StationResult, UnitCount


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


def unit_estimates(contest: Contest, unit: AdminUnit) -> QuerySet[Estimate]:
    return (
        Estimate.objects.filter(contest=contest, unit=unit)
        .select_related("choice")
        .order_by("-share")
    )


def proposed_value(conflict: Conflict) -> int | None:
    """The value most copies hold (None on a tie): a proposal, a moderator decides."""
    return engine.majority([item.get("value") for item in conflict.values or []])


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


# ---------------------------------------------------------------------------------------------
# A station's result


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
    """The copies received for a station, its reconciled results and their conflicts."""
    return StationStatus(
        station=station,
        copies=list(station_copies(station)),
        results=list(station_results(station)),
        conflicts=list(station_conflicts(station)),
    )


# ---------------------------------------------------------------------------------------------
# The independent count (tally models; derived data recomputed by the tally)


def _crowd_by_code(crowd: dict | None, codes: dict[str, str]) -> dict[str, Any]:
    """The voters' figures of a unit (`UnitCount.crowd`) with choices by code; {} when none."""
    crowd = dict(crowd or {})
    for key in ("declared", "photo", "unverified"):
        if key in crowd:
            crowd[key] = {codes.get(str(k), str(k)): v for k, v in crowd[key].items()}
    if "exceeds_by_choice" in crowd:
        crowd["exceeds_by_choice"] = {
            tier: {codes.get(str(k), str(k)): v for k, v in values.items()}
            for tier, values in crowd["exceeds_by_choice"].items()
        }
    return crowd


def election_count(election: Election, *, unit_id: int | None = None) -> dict[str, Any] | None:
    """Observed counts and estimates of a unit and its children (default: the top units).

    Votes are keyed by choice code. None when `unit_id` is not a unit of the election.
    """
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
                "turnout": row.turnout,
                "official": _by_code(row.official, codes),
                "announced": _by_code(row.announced, codes),
                "official_at_covered": _by_code(row.official_at_covered, codes),
                "results": dict(row.results or {}),
                "copies": dict(row.copies or {}),
                "findings": dict(row.findings or {}),
                "crowd": _crowd_by_code(row.crowd, codes),
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


def _by_code(figures: dict | None, codes: dict[str, str]) -> dict[str, Any]:
    """A {lines, votes by choice id, ...} block with the votes keyed by choice code."""
    figures = dict(figures or {})
    if "votes" in figures:
        figures["votes"] = {codes.get(str(k), str(k)): v for k, v in figures["votes"].items()}
    return figures


def election_comparisons(
    election: Election,
    *,
    kind: str | None = None,
    unit_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """Comparison findings (official vs observed) of an election: (total, one page of rows)."""
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
            "id": row.pk,
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


# ---------------------------------------------------------------------------------------------
# the voters' count: which ballots the headline "from voters" figures rest on (one rule)

#: How a voter's ballot stands in the public figures (`crowd_standing`).
CROWD_HEADLINE = "headline"  # counted, of a verified tier: in the "from voters" figures
CROWD_UNVERIFIED = "unverified"  # counted but unverified: published apart, never in the headline
CROWD_HELD = "held"  # its account is in a suspect group waiting for a moderator
CROWD_SPAM = "spam"
CROWD_NOT_COUNTED = "not_counted"  # no choice yet, a second ballot, no station
CROWD_STANDINGS = (CROWD_HEADLINE, CROWD_UNVERIFIED, CROWD_HELD, CROWD_SPAM, CROWD_NOT_COUNTED)
#: What the "from voters" figures say they rest on (`UnitCount.crowd["tiers"]`): the ballots in
#: them by verified tier, then the ballots left out of them by standing.
CROWD_TIER_KEYS = (
    "phone_verified",
    "photo_matched",
    CROWD_UNVERIFIED,
    CROWD_HELD,
    CROWD_SPAM,
    CROWD_NOT_COUNTED,
)


def crowd_standing(category: str, tier: str, counted: bool, held: bool) -> str:
    """The one rule of the voters' count: only counted ballots of a verified tier (phone
    verified, photo matched to the sample ballot) make the headline figures and the
    crowd-vs-official findings; every other ballot is shown by its standing, never in them."""
    from baqylau.crowd.models import VERIFIED_TIERS

    if category == "spam":
        return CROWD_SPAM
    if held:
        return CROWD_HELD
    if not counted:
        return CROWD_NOT_COUNTED
    return CROWD_HEADLINE if tier in VERIFIED_TIERS else CROWD_UNVERIFIED


def crowd_headline(ballots: QuerySet) -> QuerySet:
    """The ballots (of any `CrowdBallot` queryset) `crowd_standing` puts in the headline."""
    from baqylau.crowd.models import VERIFIED_TIERS

    return ballots.filter(counted=True, held=False, tier__in=VERIFIED_TIERS).exclude(
        category="spam"
    )
