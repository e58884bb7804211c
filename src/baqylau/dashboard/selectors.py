"""Reads for the public pages. Everything comes from precomputed summaries (see services)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.shortcuts import get_object_or_404

from baqylau.elections.models import AdminUnit, Choice, Contest, Election, OfficialVote


@dataclass
class ChoiceRow:
    choice: Choice
    official: int | None = None
    official_share: float | None = None
    station_sum: int | None = None
    station_sum_share: float | None = None


@dataclass
class ContestPanel:
    contest: Contest
    rows: list[ChoiceRow]
    has_official: bool
    stations_reporting: int
    official_total: int
    station_sum_total: int


@dataclass
class ChildRow:
    unit: AdminUnit
    stations: int
    registered_voters: int
    leader: Choice | None = None
    leader_share: float | None = None


@dataclass
class UnitPage:
    election: Election
    unit: AdminUnit
    breadcrumbs: list[AdminUnit]
    stations: int
    registered_voters: int
    children: list[ChildRow]
    panels: list[ContestPanel] = field(default_factory=list)


def elections() -> list[Election]:
    return list(Election.objects.order_by("-date", "code"))


def election_by_code(code: str) -> Election:
    return get_object_or_404(Election, code=code)


def root_units(election: Election) -> list[AdminUnit]:
    return list(election.units.filter(parent__isnull=True).order_by("code"))


def _share(part: int | None, total: int) -> float | None:
    return None if part is None or total <= 0 else part / total


def _ancestors(unit: AdminUnit) -> list[AdminUnit]:
    codes = unit.path.split("/")
    prefixes = ["/".join(codes[: i + 1]) for i in range(len(codes) - 1)]
    by_path = {
        u.path: u for u in AdminUnit.objects.filter(election_id=unit.election_id, path__in=prefixes)
    }
    return [by_path[p] for p in prefixes if p in by_path]


def _official_votes(unit: AdminUnit) -> dict[int, dict[int, int]]:
    """Official votes published for this very unit, by contest id then choice id."""
    result: dict[int, dict[int, int]] = {}
    for contest_id, choice_id, votes in OfficialVote.objects.filter(result__unit=unit).values_list(
        "result__contest_id", "choice_id", "votes"
    ):
        result.setdefault(contest_id, {})[choice_id] = votes
    return result


def _contest_panel(contest: Contest, official: dict[int, int] | None, summary) -> ContestPanel:
    choices = list(contest.choices.order_by("number", "code"))
    sums = {int(k): v for k, v in (summary.votes if summary else {}).items()}
    official_total = sum(official.values()) if official else 0
    station_total = sum(sums.values())
    rows = [
        ChoiceRow(
            choice=c,
            official=official.get(c.id) if official else None,
            official_share=_share(official.get(c.id), official_total) if official else None,
            station_sum=sums.get(c.id) if summary else None,
            station_sum_share=_share(sums.get(c.id), station_total) if summary else None,
        )
        for c in choices
    ]
    rows.sort(key=lambda r: -(r.official if r.official is not None else (r.station_sum or 0)))
    return ContestPanel(
        contest=contest,
        rows=rows,
        has_official=bool(official),
        stations_reporting=summary.stations_reporting if summary else 0,
        official_total=official_total,
        station_sum_total=station_total,
    )


def _children(unit: AdminUnit, contests: list[Contest]) -> list[ChildRow]:
    children = list(
        unit.children.select_related("summary").prefetch_related("contest_summaries").order_by("code")
    )
    first_contest = contests[0] if contests else None
    choices = {c.id: c for c in first_contest.choices.all()} if first_contest else {}
    official = {}
    if first_contest:
        for unit_id, choice_id, votes in OfficialVote.objects.filter(
            result__contest=first_contest, result__unit__in=children
        ).values_list("result__unit_id", "choice_id", "votes"):
            official.setdefault(unit_id, {})[choice_id] = votes
    rows = []
    for child in children:
        summary = getattr(child, "summary", None)
        row = ChildRow(
            unit=child,
            stations=summary.stations if summary else 0,
            registered_voters=summary.registered_voters if summary else 0,
        )
        votes = official.get(child.id)
        if votes is None and first_contest:
            contest_summary = next(
                (s for s in child.contest_summaries.all() if s.contest_id == first_contest.id), None
            )
            votes = {int(k): v for k, v in contest_summary.votes.items()} if contest_summary else None
        if votes:
            leader_id = max(votes, key=votes.get)
            row.leader = choices.get(leader_id)
            row.leader_share = _share(votes[leader_id], sum(votes.values()))
        rows.append(row)
    return rows


def unit_page(election: Election, unit_id: int) -> UnitPage:
    unit = get_object_or_404(AdminUnit.objects.select_related("summary"), election=election, id=unit_id)
    contests = list(election.contests.order_by("code"))
    summary = getattr(unit, "summary", None)
    official = _official_votes(unit)
    contest_summaries = {s.contest_id: s for s in unit.contest_summaries.all()}
    panels = [_contest_panel(c, official.get(c.id), contest_summaries.get(c.id)) for c in contests]
    return UnitPage(
        election=election,
        unit=unit,
        breadcrumbs=_ancestors(unit),
        stations=summary.stations if summary else 0,
        registered_voters=summary.registered_voters if summary else (unit.registered_voters or 0),
        children=_children(unit, contests),
        panels=[p for p in panels if p.rows],
    )
