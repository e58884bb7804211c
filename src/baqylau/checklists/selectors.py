"""Checklist figures: each question's answers by unit (with how many stations reported and how
many are missing), the response rate of each station and unit, the reports behind every figure,
the quality rules' flags and the call log. Reads the intake's `ChecklistAnswer` rows only.

A station's answer to a question: each observer's latest report counts once (a later report of
the same observer replaces the earlier); reports staff rejected are left out. When the counted
reports disagree, the station is in conflict on that question and counts neither as yes nor no.
Unknown is never shown as 0: a station with no answer is "missing", and every share says how
many stations it rests on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import get_language

from baqylau.checklists import rules as quality
from baqylau.checklists.models import ConfirmationCall, FlagDecision
from baqylau.elections.models import AdminUnit, Election
from baqylau.i18n import normalize_language
from baqylau.reports import forms
from baqylau.reports.selectors import visible_reports

STATES = ("missing", "partial", "complete", "conflict")


def checklist_forms() -> list[dict[str, Any]]:
    return [forms.load_form(code) for code in forms.checklist_codes()]


def form_or_none(code: str) -> dict[str, Any] | None:
    return forms.load_form(code) if code in forms.checklist_codes() else None


def _lang() -> str:
    return normalize_language(get_language())


def label(texts: dict[str, str]) -> str:
    return texts.get(_lang()) or texts.get("en") or ""


@dataclass
class Report:
    """One checklist report (one submission): its answers, flags and calls."""

    submission_id: UUID
    station: AdminUnit
    observer: str  # public id
    observer_id: int
    received_at: Any
    form_version: int
    answers: dict[str, bool] = field(default_factory=dict)
    flags: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0

    @property
    def rejected(self) -> bool:
        return any(f["status"] == FlagDecision.Verdict.REJECTED for f in self.flags)

    @property
    def open_flags(self) -> int:
        return sum(1 for f in self.flags if f["status"] == "flagged")


def _decisions(submission_ids: list[UUID]) -> dict[tuple[UUID, str], FlagDecision]:
    latest: dict[tuple[int, str], FlagDecision] = {}
    rows = FlagDecision.objects.filter(submission_id__in=submission_ids).order_by(
        "decided_at", "pk"
    )
    for row in rows.select_related("decided_by"):
        latest[(row.submission_id, row.rule)] = row
    return latest


def reports(user, election: Election, form: dict[str, Any]) -> list[Report]:
    """The checklist reports of `form` that `user` may read, oldest first, with their flags."""
    rows = (
        visible_reports(user, "checklist", election)
        .filter(form=form["code"])
        .select_related("station", "observer")
        .order_by("received_at", "submission_id", "pk")
    )
    by_submission: dict[int, Report] = {}
    for row in rows:
        report = by_submission.get(row.submission_id)
        if report is None:
            report = by_submission[row.submission_id] = Report(
                submission_id=row.submission_id,
                station=row.station,
                observer=row.observer.public_id,
                observer_id=row.observer_id,
                received_at=row.received_at,
                form_version=row.form_version,
            )
        report.answers[row.question] = row.answer
    ids = list(by_submission)
    decisions = _decisions(ids)
    calls = defaultdict(int)
    for submission_id in ConfirmationCall.objects.filter(submission_id__in=ids).values_list(
        "submission_id", flat=True
    ):
        calls[submission_id] += 1
    form_rules = quality.form_rules(form)
    for report in by_submission.values():
        report.calls = calls[report.submission_id]
        for rule in quality.flagged_rules(form_rules, report.answers):
            decision = decisions.get((report.submission_id, rule.id))
            report.flags.append(
                {
                    "rule": rule.id,
                    "text": rule.text(_lang()),
                    "status": decision.verdict if decision else "flagged",
                    "decision": decision,
                }
            )
    return list(by_submission.values())


@dataclass
class StationAnswers:
    station: AdminUnit
    reports: list[Report]
    answers: dict[str, bool | None]  # question → yes/no, None = the reports disagree
    state: str  # missing / partial / complete / conflict


def station_answers(
    reports_: list[Report], stations: list[AdminUnit], questions: list[str]
) -> dict[int, StationAnswers]:
    """Every station's answers and state (see the module's docstring)."""
    by_station: dict[int, list[Report]] = defaultdict(list)
    for report in reports_:
        if not report.rejected:
            by_station[report.station.pk].append(report)
    out = {}
    for station in stations:
        latest: dict[int, Report] = {}
        for report in by_station.get(station.pk, []):  # oldest first: a later one replaces
            latest[report.observer_id] = report
        counted = list(latest.values())
        answers: dict[str, bool | None] = {}
        for question in questions:
            given = {r.answers[question] for r in counted if question in r.answers}
            if given:
                answers[question] = given.pop() if len(given) == 1 else None
        if not counted:
            state = "missing"
        elif any(v is None for v in answers.values()):
            state = "conflict"
        elif len(answers) < len(questions):
            state = "partial"
        else:
            state = "complete"
        out[station.pk] = StationAnswers(station, counted, answers, state)
    return out


def stations(election: Election) -> list[AdminUnit]:
    return list(
        AdminUnit.objects.filter(election=election, kind=AdminUnit.Kind.STATION).order_by("path")
    )


def root(election: Election) -> AdminUnit | None:
    return AdminUnit.objects.filter(election=election, parent__isnull=True).first()


def children(unit: AdminUnit) -> list[AdminUnit]:
    return list(unit.children.order_by("path"))


def under(unit: AdminUnit, station: AdminUnit) -> bool:
    return station.pk == unit.pk or station.path.startswith(unit.path + "/")


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Cell:
    """One question in one unit."""

    unit: AdminUnit
    stations: int
    yes: int = 0
    no: int = 0
    conflict: int = 0

    @property
    def reported(self) -> int:
        return self.yes + self.no + self.conflict

    @property
    def missing(self) -> int:
        return self.stations - self.reported

    @property
    def reported_share(self) -> float | None:
        return share(self.reported, self.stations)

    @property
    def missing_share(self) -> float | None:
        return share(self.missing, self.stations)

    @property
    def yes_share(self) -> float | None:
        """Of the stations with one answer (yes or no): conflicts and missing are not counted."""
        return share(self.yes, self.yes + self.no)


@dataclass
class QuestionRow:
    code: str
    label: str
    total: Cell
    units: list[Cell]


def question_table(
    user, election: Election, form: dict[str, Any], unit: AdminUnit
) -> tuple[list[QuestionRow], dict[int, StationAnswers]]:
    """Each question's answers in `unit` and in each unit below it (stations of a district)."""
    questions = [q["code"] for q in form["questions"]]
    all_stations = [s for s in stations(election) if under(unit, s)]
    answers = station_answers(reports(user, election, form), all_stations, questions)
    parts = children(unit) if unit.kind != AdminUnit.Kind.STATION else []
    rows = []
    for question in form["questions"]:
        code = question["code"]

        def cell(part: AdminUnit, code: str = code) -> Cell:
            inside = [a for a in answers.values() if under(part, a.station)]
            c = Cell(part, len(inside))
            for a in inside:
                if code not in a.answers:
                    continue
                value = a.answers[code]
                if value is None:
                    c.conflict += 1
                elif value:
                    c.yes += 1
                else:
                    c.no += 1
            return c

        rows.append(
            QuestionRow(code, label(question["label"]), cell(unit), [cell(p) for p in parts])
        )
    return rows, answers


@dataclass
class RateRow:
    unit: AdminUnit
    counts: dict[str, int]

    @property
    def stations(self) -> int:
        return sum(self.counts.values())

    def share(self, state: str) -> float | None:
        return share(self.counts.get(state, 0), self.stations)

    @property
    def complete_share(self) -> float | None:
        return self.share("complete")


def response_rates(
    user, election: Election, form: dict[str, Any], unit: AdminUnit
) -> tuple[RateRow, list[RateRow], dict[int, StationAnswers]]:
    """Missing / partial / complete / conflict: the unit's total, each unit below it, and each
    station's state."""
    questions = [q["code"] for q in form["questions"]]
    all_stations = [s for s in stations(election) if under(unit, s)]
    answers = station_answers(reports(user, election, form), all_stations, questions)

    def row(part: AdminUnit) -> RateRow:
        counts = dict.fromkeys(STATES, 0)
        for a in answers.values():
            if under(part, a.station):
                counts[a.state] += 1
        return RateRow(part, counts)

    parts = children(unit) if unit.kind != AdminUnit.Kind.STATION else []
    return row(unit), [row(p) for p in parts], answers


def rate_map(election: Election, rows: list[RateRow], href) -> dict[str, Any] | None:
    """The dashboard's map of regions, coloured by the share of stations with a complete
    report (only for the units of the first level, which have shapes)."""
    from baqylau.dashboard import maps

    regions = []
    for r in rows:
        if r.unit.depth != 1:
            return None
        pcode = maps.pcode_for(r.unit.code, (r.unit.name_kk, r.unit.name_ru, r.unit.name_en))
        if pcode is not None:
            regions.append(
                maps.Region(
                    pcode=pcode,
                    unit_id=r.unit.pk,
                    name=r.unit.localized_name,
                    value=r.complete_share,
                    href=href(r.unit),
                )
            )
    if not regions:
        return None
    return {"svg": maps.render_svg(regions, "share", title="")}


def unit_or_root(election: Election, unit_id: str | None) -> AdminUnit | None:
    if unit_id and str(unit_id).isdigit():
        found = AdminUnit.objects.filter(election=election, pk=int(unit_id)).first()
        if found is not None:
            return found
    return root(election)


def filter_reports(
    reports_: list[Report],
    *,
    unit: AdminUnit | None = None,
    question: str = "",
    answer: str = "",
    flagged: bool = False,
) -> list[Report]:
    """The reports behind a figure: in a unit, with this answer to this question ("conflict":
    the reports of the stations whose reports disagree on it), or flagged."""
    disputed: set[int] = set()
    if question and answer == "conflict":
        stations_ = {r.station.pk: r.station for r in reports_}
        answers = station_answers(reports_, list(stations_.values()), [question])
        disputed = {pk for pk, a in answers.items() if a.answers.get(question, False) is None}
    out = []
    for r in reports_:
        if unit is not None and not under(unit, r.station):
            continue
        wanted = answer == "yes"
        if question and answer in ("yes", "no") and r.answers.get(question) is not wanted:
            continue
        if question and answer == "conflict" and r.station.pk not in disputed:
            continue
        if flagged and not r.flags:
            continue
        out.append(r)
    return out


def report_detail(user, submission_id: UUID) -> tuple[Report, dict[str, Any]] | None:
    """One report the user may read, with its form."""
    first = (
        visible_reports(user, "checklist")
        .filter(submission_id=submission_id)
        .select_related("election")
        .first()
    )
    if first is None:
        return None
    form = forms.load_form(first.form, first.form_version)
    found = [r for r in reports(user, first.election, form) if r.submission_id == submission_id]
    return (found[0], form) if found else None


def calls(submission_id: UUID) -> QuerySet[ConfirmationCall]:
    return ConfirmationCall.objects.filter(submission_id=submission_id).select_related("caller")


def decisions(submission_id: UUID) -> QuerySet[FlagDecision]:
    return FlagDecision.objects.filter(submission_id=submission_id).select_related("decided_by")
