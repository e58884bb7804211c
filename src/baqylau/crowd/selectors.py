"""Reads of the exit poll: statistics by source (voters / observers / official), crowd vs official.

Rows are plain dicts for the dashboard; choices are rows, categories follow them (as in the seed's
table: parties, then "against all", "no photo", "spam").
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count, Q, Sum

from baqylau.crowd.models import CrowdBallot
from baqylau.elections.models import AdminUnit, Contest, OfficialVote

CATEGORY_ROWS = ("against_all", "spoiled", "no_photo", "spam")


def _under(unit: AdminUnit | None, field: str = "station") -> Q:
    if unit is None:
        return Q()
    if unit.kind == AdminUnit.Kind.STATION:
        return Q(**{field: unit})
    return Q(**{f"{field}__path__startswith": unit.path + "/"})


def _share(n: int, total: int) -> float | None:
    return round(100.0 * n / total, 2) if total else None


def crowd_tally(contest: Contest, unit: AdminUnit | None = None) -> dict[str, Any]:
    """Counted voters' ballots under the unit: by choice (photo-confirmed valid) and category."""
    ballots = CrowdBallot.objects.filter(contest=contest).filter(_under(unit))
    by_choice = Counter(
        {
            row["choice_id"]: row["n"]
            for row in ballots.filter(counted=True, category="valid", photo__isnull=False)
            .values("choice_id")
            .annotate(n=Count("id"))
        }
    )
    categories = Counter(
        {
            row["category"]: row["n"]
            for row in ballots.filter(Q(counted=True) | Q(category="spam"))
            .values("category")
            .annotate(n=Count("id"))
        }
    )
    return {"by_choice": by_choice, "categories": categories}


def _observed_votes(contest: Contest, unit: AdminUnit | None) -> dict[int, int]:
    """Observers' reconciled station results (tally's UnitCount when it exists)."""
    from baqylau.protocols.models import StationResult
    from baqylau.tally.models import UnitCount

    if unit is not None:
        count = UnitCount.objects.filter(contest=contest, unit=unit).first()
        if count is not None and count.votes:
            return {int(k): int(v) for k, v in count.votes.items()}
    totals: Counter[int] = Counter()
    rows = (
        StationResult.objects.filter(contest=contest)
        .filter(_under(unit, "station"))
        .values_list("votes", flat=True)
    )
    for votes in rows:
        for choice_id, n in (votes or {}).items():
            totals[int(choice_id)] += int(n)
    return dict(totals)


def _official_votes(contest: Contest, unit: AdminUnit | None) -> dict[int, int]:
    """The published total of the unit, else the sum of its stations' official results."""
    if unit is not None:
        own = OfficialVote.objects.filter(result__contest=contest, result__unit=unit)
        if own.exists():
            return dict(own.values_list("choice_id", "votes"))
    rows = (
        OfficialVote.objects.filter(
            result__contest=contest, result__unit__kind=AdminUnit.Kind.STATION
        )
        .filter(_under(unit, "result__unit"))
        .values("choice_id")
        .annotate(n=Sum("votes"))
    )
    return {row["choice_id"]: row["n"] for row in rows}


def statistics_by_source(contest: Contest, unit: AdminUnit | None = None) -> list[dict[str, Any]]:
    """One row per choice, then per category: votes and shares from voters, observers, official.

    "From voters" shares are of all counted ballots plus spam (the seed's table); photo-less
    and spam rows have no observer or official figures.
    """
    crowd = crowd_tally(contest, unit)
    observed = _observed_votes(contest, unit)
    official = _official_votes(contest, unit)
    categories = crowd["categories"]
    voters_total = sum(crowd["by_choice"].values()) + sum(categories[c] for c in CATEGORY_ROWS)
    observed_total, official_total = sum(observed.values()), sum(official.values())
    rows = []
    for choice in contest.choices.order_by("number", "code"):
        n = crowd["by_choice"][choice.pk]
        rows.append(
            {
                "key": choice.code,
                "choice_id": choice.pk,
                "label": choice.localized_name,
                "voters": n,
                "voters_share": _share(n, voters_total),
                "observers": observed.get(choice.pk, 0),
                "observers_share": _share(observed.get(choice.pk, 0), observed_total),
                "official": official.get(choice.pk),
                "official_share": _share(official.get(choice.pk, 0), official_total),
            }
        )
    for category in CATEGORY_ROWS:
        n = categories[category]
        rows.append(
            {
                "key": category,
                "choice_id": None,
                "label": str(CrowdBallot.Category(category).label),
                "voters": n,
                "voters_share": _share(n, voters_total),
                "observers": None,
                "observers_share": None,
                "official": None,
                "official_share": None,
            }
        )
    return rows


def crowd_vs_official(contest: Contest, unit: AdminUnit | None = None) -> list[dict[str, Any]]:
    """Stations where voters' photo-confirmed ballots for a choice exceed its official votes."""
    from baqylau.tally.models import Finding

    findings = (
        Finding.objects.filter(contest=contest, kind=Finding.Kind.CROWD_EXCEEDS_OFFICIAL)
        .filter(_under(unit, "unit"))
        .select_related("unit", "choice")
        .order_by("unit__path", "choice__number")
    )
    return [
        {
            "station": f.unit.code,
            "station_path": f.unit.path,
            "choice": f.choice.code if f.choice else None,
            "photos": f.observed,
            "official": f.official,
            "excess": (f.observed or 0) - (f.official or 0),
            "evidence": f.details.get("ballots", []),
        }
        for f in findings
    ]
