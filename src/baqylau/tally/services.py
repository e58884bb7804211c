"""Writes of the tally: the independent count, the comparison with the official result, the
estimate, and `recount` which runs them all. The arithmetic is in `tally.engine` (pure numpy);
this module only loads arrays with a few aggregate queries and writes rows in bulk.

    recount(contest)  =  reconcile copies → count up the tree → compare → estimate
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from baqylau.elections.models import (
    AdminUnit,
    Choice,
    Contest,
    OfficialLine,
    OfficialResult,
    OfficialVote,
)
from baqylau.protocols.models import ProtocolCopy
from baqylau.protocols.reconciliation import (
    CopyFigures,
    Observed,
    Participation,
    ReconcileSummary,
    bulk_insert,
    contest_choice_ids,
    contest_form,
    contest_line_codes,
    fetch_all,
    load_copy_figures,
    load_observed,
    read_matrix,
    reconcile,
    reconcile_contest,
    reconcile_station,
    resolve_conflict,
    validate_copies,
    validate_figures,
)
from baqylau.tally import engine
from baqylau.tally.models import Estimate, Finding, UnitCount

__all__ = [
    "ContestTree",
    "RecountSummary",
    "compare",
    "count",
    "estimate",
    "recount",
    "reconcile_contest",
    "reconcile_station",
    "resolve_conflict",
    "validate_copies",
    "write_simulated_copies",
]


# ---------------------------------------------------------------------------------------------
# The unit tree and the figures of a contest as arrays


class ContestTree:
    """The unit tree of a contest's election as arrays, with the figure columns of the contest."""

    def __init__(self, contest: Contest):
        self.contest = contest
        rows = list(
            AdminUnit.objects.filter(election_id=contest.election_id)
            .order_by("id")
            .values_list("id", "parent_id", "depth", "kind", "registered_voters")
        )
        n = len(rows)
        self.ids = np.fromiter((r[0] for r in rows), np.int64, n)
        parent_ids = np.fromiter((r[1] or 0 for r in rows), np.int64, n)
        parent = np.searchsorted(self.ids, parent_ids)
        has_parent = np.fromiter((r[1] is not None for r in rows), bool, n)
        self.tree = engine.Tree.build(
            parent=np.where(has_parent, parent, -1),
            depth=np.fromiter((r[2] for r in rows), np.int64, n),
            is_station=np.fromiter((r[3] == AdminUnit.Kind.STATION for r in rows), bool, n),
            registered=np.fromiter((r[4] or 0 for r in rows), np.int64, n),
        )
        self.line_codes = contest_line_codes(contest)
        self.choice_ids = contest_choice_ids(contest)
        self.form = contest_form(contest)
        self._official: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def index_of(self, unit_ids: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.ids, np.asarray(unit_ids, dtype=np.int64))

    @property
    def size(self) -> int:
        return int(self.ids.size)

    def turnout_columns(self) -> tuple[list[int], int | None]:
        """Column indices of the took-part lines and of the registered line."""
        if self.form is not None and self.form.turnout is not None:
            took = tuple(self.form.turnout.voters.lines)
            registered_lines = self.form.turnout.registered.lines
            registered = registered_lines[0] if len(registered_lines) == 1 else None
        else:
            took, registered = engine.turnout_lines(self.contest.protocol_form)
        took_idx = [self.line_codes.index(c) for c in took if c in self.line_codes]
        reg_idx = self.line_codes.index(registered) if registered in self.line_codes else None
        return took_idx, reg_idx

    def station_matrix(self, observed: Observed) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(covered (U,), lines (U, L), votes (U, K)) with the observed results at their stations."""
        covered = np.zeros(self.size, bool)
        lines = np.full((self.size, len(self.line_codes)), engine.MISSING, np.int64)
        votes = np.full((self.size, len(self.choice_ids)), engine.MISSING, np.int64)
        at = self.index_of(observed.station_id)
        covered[at] = observed.settled
        lines[at] = _align(observed.lines, observed.line_codes, self.line_codes)
        votes[at] = _align(observed.votes, observed.choice_ids, self.choice_ids)
        return covered, lines, votes

    def official(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(has official result (U,), lines (U, L), votes (U, K)), -1 where not published."""
        if self._official is None:
            self._official = self._load_official()
        return self._official

    def _load_official(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        results = np.array(
            fetch_all(
                OfficialResult.objects.filter(contest=self.contest)
                .order_by("id")
                .values_list("id", "unit_id")
            ),
            dtype=np.int64,
        ).reshape(-1, 2)
        result_ids = results[:, 0]
        unit_index = self.index_of(results[:, 1])
        has = np.zeros(self.size, bool)
        has[unit_index] = True
        lines = np.full((self.size, len(self.line_codes)), engine.MISSING, np.int64)
        votes = np.full((self.size, len(self.choice_ids)), engine.MISSING, np.int64)
        for model, column, value, columns, out in (
            (OfficialLine, "line", "value", self.line_codes, lines),
            (OfficialVote, "choice_id", "votes", self.choice_ids, votes),
        ):
            out[unit_index] = read_matrix(model, "result_id", column, value, columns, result_ids)
        return has, lines, votes


def _align(matrix: np.ndarray, have: list, want: list) -> np.ndarray:
    if list(have) == list(want):
        return matrix
    out = np.full((matrix.shape[0], len(want)), engine.MISSING, np.int64)
    for j, key in enumerate(want):
        if key in have:
            out[:, j] = matrix[:, have.index(key)]
    return out


def _choice_names(contest: Contest) -> dict[int, dict[str, str]]:
    return {
        c.pk: {"en": c.name_en or c.code, "ru": c.name_ru or c.name_en or c.code}
        for c in Choice.objects.filter(contest=contest)
    }


def _line_names(ct: ContestTree) -> dict[str, dict[str, str]]:
    names: dict[str, dict[str, str]] = {}
    for code in ct.line_codes:
        en = ru = f"line {code}"
        if ct.form is not None:
            line = ct.form.line(code)
            en = f"line {line.number} ({line.name.get('en')})"
            ru = f"строка {line.number} ({line.name.get('ru')})"
        names[code] = {"en": en, "ru": ru}
    return names


# ---------------------------------------------------------------------------------------------
# Independent count


def count(contest: Contest, observed: Observed | None = None, ct: ContestTree | None = None):
    """Add up the settled observed results up the tree; store one UnitCount per non-station unit.

    Returns the engine's `Count` (arrays over all units of the tree).
    """
    ct = ct or ContestTree(contest)
    observed = observed if observed is not None else load_observed(contest)
    covered, lines, votes = ct.station_matrix(observed)
    took, registered = ct.turnout_columns()
    result = engine.count_up(ct.tree, covered, lines, votes, took, registered)
    units = np.flatnonzero(~ct.tree.is_station)
    now = timezone.now()
    with transaction.atomic():
        UnitCount.objects.filter(contest=contest).delete()
        UnitCount.objects.bulk_create(
            [
                UnitCount(
                    contest=contest,
                    unit_id=int(ct.ids[i]),
                    stations_total=int(result.stations_total[i]),
                    stations_covered=int(result.stations_covered[i]),
                    registered_total=int(result.registered_total[i]),
                    registered_covered=int(result.registered_covered[i]),
                    lines=dict(zip(ct.line_codes, result.lines[i].tolist(), strict=True)),
                    votes={
                        str(c): v
                        for c, v in zip(ct.choice_ids, result.votes[i].tolist(), strict=True)
                    },
                    shares={
                        str(c): round(v, 6)
                        for c, v in zip(ct.choice_ids, result.shares[i].tolist(), strict=True)
                        if np.isfinite(v)
                    },
                    turnout=float(result.turnout[i]) if np.isfinite(result.turnout[i]) else None,
                    computed_at=now,
                )
                for i in units.tolist()
            ],
            batch_size=1000,
        )
    return result


# ---------------------------------------------------------------------------------------------
# Comparison with the official result


def _fmt(n: int) -> str:
    return f"{int(n):,}".replace(",", " ")


@dataclass
class CompareSummary:
    station_differs: int = 0
    stations_differ: int = 0
    subset_exceeds_total: int = 0
    parts_do_not_sum: int = 0


def compare(
    contest: Contest,
    observed: Observed | None = None,
    counted: engine.Count | None = None,
    ct: ContestTree | None = None,
) -> CompareSummary:
    """Compare the observed count with the official result at every level; store Findings."""
    ct = ct or ContestTree(contest)
    observed = observed if observed is not None else load_observed(contest)
    if counted is None:
        covered, lines, votes = ct.station_matrix(observed)
        took, registered = ct.turnout_columns()
        counted = engine.count_up(ct.tree, covered, lines, votes, took, registered)
    has_official, off_lines, off_votes = ct.official()
    official = np.concatenate([off_lines, off_votes], axis=1)
    n_lines = len(ct.line_codes)
    choice_names = _choice_names(contest)
    line_names = _line_names(ct)
    paths = dict(
        AdminUnit.objects.filter(election_id=contest.election_id)
        .exclude(kind=AdminUnit.Kind.STATION)
        .values_list("id", "path")
    )

    def column(j: int) -> tuple[str, int | None, dict[str, str]]:
        if j < n_lines:
            code = ct.line_codes[j]
            return code, None, line_names[code]
        cid = ct.choice_ids[j - n_lines]
        names = choice_names.get(cid, {"en": str(cid), "ru": str(cid)})
        return "", cid, {"en": f"votes for {names['en']}", "ru": f"голоса за {names['ru']}"}

    findings: list[tuple] = []
    summary = CompareSummary()

    # 1. station: the official figure against the copies the commission signed
    at = ct.index_of(observed.station_id)
    obs = np.concatenate(
        [
            _align(observed.lines, observed.line_codes, ct.line_codes),
            _align(observed.votes, observed.choice_ids, ct.choice_ids),
        ],
        axis=1,
    )
    differs = engine.differences(obs, official[at])
    summary.stations_differ = int(differs.any(axis=1).sum())
    for s, j in zip(*np.nonzero(differs), strict=True):
        o, f = int(obs[s, j]), int(official[at[s], j])
        line, choice_id, name = column(int(j))
        diff = f - o
        findings.append(
            (
                int(observed.station_id[s]),
                Finding.Kind.STATION_DIFFERS.value,
                line,
                choice_id,
                o,
                f,
                {
                    "difference": diff,
                    "status": str(observed.status[s]),
                    "message": {
                        "en": f"The official result gives {name['en']} as {_fmt(f)}; the protocol "
                        f"copies signed at the station say {_fmt(o)} "
                        f"({'+' if diff > 0 else '−'}{_fmt(abs(diff))} in the official figure).",
                        "ru": f"В официальном результате {name['ru']}: {_fmt(f)}; в копиях "
                        f"протокола, подписанного на участке: {_fmt(o)} "
                        f"(разница {'+' if diff > 0 else '−'}{_fmt(abs(diff))}).",
                    },
                },
            )
        )
    summary.station_differs = len(findings)

    # 2. aggregate: observed stations alone exceed the unit's official total
    count_fig = np.concatenate([counted.lines, counted.votes], axis=1)
    not_station = ~ct.tree.is_station[:, None]
    exceeds = engine.subset_exceeds(count_fig, official) & not_station & has_official[:, None]
    for u, j in zip(*np.nonzero(exceeds), strict=True):
        o, f = int(count_fig[u, j]), int(official[u, j])
        line, choice_id, name = column(int(j))
        cov, tot = int(counted.stations_covered[u]), int(counted.stations_total[u])
        unit_id = int(ct.ids[u])
        findings.append(
            (
                unit_id,
                Finding.Kind.SUBSET_EXCEEDS_TOTAL.value,
                line,
                choice_id,
                o,
                f,
                {
                    "stations_covered": cov,
                    "stations_total": tot,
                    "excess": o - f,
                    "message": {
                        "en": f"Protocol copies from {_fmt(cov)} of {_fmt(tot)} stations of "
                        f"{paths.get(unit_id, unit_id)} alone give {name['en']} {_fmt(o)}, but the "
                        f"official total for all {_fmt(tot)} stations is {_fmt(f)}: the official "
                        "total is impossible.",
                        "ru": f"Копии протоколов только {_fmt(cov)} из {_fmt(tot)} участков "
                        f"({paths.get(unit_id, unit_id)}) дают {name['ru']} {_fmt(o)}, а "
                        f"официальный итог по всем {_fmt(tot)} участкам — {_fmt(f)}: такой итог "
                        "невозможен.",
                    },
                },
            )
        )
        summary.subset_exceeds_total += 1

    # 3. official totals that are not the sum of their parts
    parts = engine.parts_check(ct.tree, official)
    for u, j in zip(*np.nonzero(parts.mismatch), strict=True):
        total, psum = int(official[u, j]), int(parts.parts_sum[u, j])
        line, choice_id, name = column(int(j))
        which = str(parts.parts[u])
        complete = bool(parts.complete[u, j])
        unit_id = int(ct.ids[u])
        parts_en = "its units" if which == "children" else "its stations"
        parts_ru = "входящих в него единиц" if which == "children" else "его участков"
        findings.append(
            (
                unit_id,
                Finding.Kind.PARTS_DO_NOT_SUM.value,
                line,
                choice_id,
                psum,
                total,
                {
                    "parts": which,
                    "complete": complete,
                    "difference": total - psum,
                    "message": {
                        "en": f"The official total of {paths.get(unit_id, unit_id)} gives "
                        f"{name['en']} {_fmt(total)}, but the official figures of "
                        f"{'all' if complete else 'some of'} {parts_en} add up to {_fmt(psum)}.",
                        "ru": f"Официальный итог ({paths.get(unit_id, unit_id)}): {name['ru']} "
                        f"{_fmt(total)}, а сумма официальных данных "
                        f"{'всех' if complete else 'части'} {parts_ru} — {_fmt(psum)}.",
                    },
                },
            )
        )
        summary.parts_do_not_sum += 1

    _store_findings(contest, findings)
    return summary


_COMPARED = (
    Finding.Kind.STATION_DIFFERS.value,
    Finding.Kind.SUBSET_EXCEEDS_TOTAL.value,
    Finding.Kind.PARTS_DO_NOT_SUM.value,
)


@transaction.atomic
def _store_findings(contest: Contest, findings: list[tuple]) -> None:
    """Replace the comparison findings, keeping every row that is still true unchanged.

    Findings are cited elsewhere (legal cases link to them), so a finding with the same unit,
    figure and values keeps its row — and its links — across recounts; only findings that are no
    longer true are deleted, and only new ones inserted.
    """
    existing = {
        (unit, kind, line, choice, observed, official): pk
        for pk, unit, kind, line, choice, observed, official in Finding.objects.filter(
            contest=contest, kind__in=_COMPARED
        ).values_list("id", "unit_id", "kind", "line", "choice_id", "observed", "official")
    }
    new = {tuple(row[:6]): row for row in findings}
    stale = [pk for key, pk in existing.items() if key not in new]
    for start in range(0, len(stale), 900):
        Finding.objects.filter(pk__in=stale[start : start + 900]).delete()
    now = timezone.now()
    bulk_insert(
        Finding,
        [
            "contest",
            "unit",
            "kind",
            "line",
            "choice",
            "observed",
            "official",
            "details",
            "computed_at",
        ],
        ((contest.pk, *row, now) for key, row in new.items() if key not in existing),
    )


# ---------------------------------------------------------------------------------------------
# Estimate


@dataclass
class EstimateSummary:
    unit_id: int | None = None
    leader_choice_id: int | None = None
    leader_share: float | None = None
    leader_margin: float | None = None
    official_share: float | None = None
    threshold: float | None = None
    second_round: str | None = None  # due / not_due / undecided
    stations_used: int = 0
    label: str = engine.NOT_RANDOM_LABEL


def estimate(
    contest: Contest,
    observed: Observed | None = None,
    ct: ContestTree | None = None,
    official_votes: np.ndarray | None = None,
) -> EstimateSummary:
    """Ratio estimates of every choice's share in every non-station unit, with 95% margins.

    Stored as `Estimate` rows with ``random_sample=False`` (observed stations are not a random
    sample) and, in ``details``, the method, the label, the interval, the official share and —
    for the leading choice — whether the interval says a second round was due.
    """
    ct = ct or ContestTree(contest)
    observed = observed if observed is not None else load_observed(contest)
    covered, _, votes = ct.station_matrix(observed)
    est = engine.ratio_estimates(ct.tree, covered, votes)
    if official_votes is None:
        official_votes = ct.official()[2]
    off = np.where(official_votes >= 0, official_votes, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        off_share = np.where(
            (official_votes >= 0).all(axis=1, keepdims=True) & (off.sum(axis=1, keepdims=True) > 0),
            off / np.maximum(off.sum(axis=1, keepdims=True), 1),
            np.nan,
        )
    threshold = (
        float(contest.majority_threshold) / 100.0
        if contest.majority_threshold is not None
        else None
    )
    units = np.flatnonzero(~ct.tree.is_station & np.isfinite(est.share).all(axis=1))
    rows: list[Estimate] = []
    for u in units.tolist():
        shares = est.share[u]
        leader = int(np.argmax(shares))
        for j, cid in enumerate(ct.choice_ids):
            share, margin = float(shares[j]), float(est.margin[u, j])
            details: dict[str, Any] = {
                "label": engine.NOT_RANDOM_LABEL,
                "method": "stratified ratio estimator" if est.stratified[u] else "ratio estimator",
                "interval": [max(share - margin, 0.0), min(share + margin, 1.0)],
                "stratified": bool(est.stratified[u]),
                "strata_used": int(est.strata_used[u]),
                "strata_total": int(est.strata_total[u]),
                "registered_in_used_strata": float(est.registered_in_used_strata[u]),
                "official_share": float(off_share[u, j]) if np.isfinite(off_share[u, j]) else None,
                "leader": j == leader,
            }
            if j == leader and threshold is not None:
                details["majority_threshold"] = threshold
                details["second_round"] = engine.second_round_verdict(share, margin, threshold)
            rows.append(
                Estimate(
                    contest=contest,
                    unit_id=int(ct.ids[u]),
                    choice_id=cid,
                    share=share,
                    margin=margin,
                    stations_used=int(est.stations_used[u]),
                    random_sample=False,
                    details=details,
                )
            )
    with transaction.atomic():
        Estimate.objects.filter(contest=contest).delete()
        Estimate.objects.bulk_create(rows, batch_size=1000)

    summary = EstimateSummary(threshold=threshold)
    roots = np.flatnonzero(ct.tree.parent < 0)
    if roots.size and np.isfinite(est.share[roots[0]]).all() and ct.choice_ids:
        r = int(roots[0])
        leader = int(np.argmax(est.share[r]))
        summary.unit_id = int(ct.ids[r])
        summary.leader_choice_id = ct.choice_ids[leader]
        summary.leader_share = float(est.share[r, leader])
        summary.leader_margin = float(est.margin[r, leader])
        summary.stations_used = int(est.stations_used[r])
        if np.isfinite(off_share[r, leader]):
            summary.official_share = float(off_share[r, leader])
        if threshold is not None:
            summary.second_round = engine.second_round_verdict(
                summary.leader_share, summary.leader_margin, threshold
            )
    return summary


# ---------------------------------------------------------------------------------------------
# Everything


@dataclass
class RecountSummary:
    contest_id: int
    validation: dict[str, int] = field(default_factory=dict)
    reconcile: ReconcileSummary = field(default_factory=ReconcileSummary)
    units: int = 0
    stations_total: int = 0
    stations_covered: int = 0
    compare: CompareSummary = field(default_factory=CompareSummary)
    estimate: EstimateSummary = field(default_factory=EstimateSummary)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def recount(
    contest: Contest,
    *,
    participation: Participation | str = Participation.VALID,
    validate: bool = False,
) -> RecountSummary:
    """Reconcile copies → count up the tree → compare with the official result → estimate.

    With ``validate=True`` every copy is first re-checked by the vectorised protocol engine.
    Moderators' resolutions of conflicts are kept (see `protocols.reconciliation`).
    """
    summary = RecountSummary(contest_id=contest.pk)
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        summary.seconds[name] = round(now - clock, 3)
        clock = now

    figures = load_copy_figures(contest)
    lap("load copies")
    if validate:
        summary.validation = validate_copies(contest, figures=figures)
        lap("validate")
    summary.reconcile, observed = reconcile(contest, participation=participation, figures=figures)
    lap("reconcile")
    ct = ContestTree(contest)
    counted = count(contest, observed=observed, ct=ct)
    roots = np.flatnonzero(ct.tree.parent < 0)
    summary.units = ct.size
    summary.stations_total = int(counted.stations_total[roots].sum())
    summary.stations_covered = int(counted.stations_covered[roots].sum())
    lap("count")
    summary.compare = compare(contest, observed=observed, counted=counted, ct=ct)
    lap("compare")
    summary.estimate = estimate(contest, observed=observed, ct=ct)
    lap("estimate")
    summary.seconds["total"] = round(sum(summary.seconds.values()), 3)
    return summary


# ---------------------------------------------------------------------------------------------
# Copies from a simulation (test and benchmark data)


def write_simulated_copies(
    contest: Contest,
    sim,
    copies,
    *,
    validate: bool = True,
    received_at: dt.datetime | None = None,
) -> int:
    """Store `simulate.copies.make_copies` output as Submission + ProtocolCopy + lines + votes.

    Each copy gets an immutable envelope (payload = the figures as a sender would post them, with
    its canonical SHA-256). The validation status comes from the vectorised protocol engine when
    the contest's form is known (``validate``), otherwise copies are marked accepted. Returns the
    number of copies written.
    """
    from baqylau.intake.models import Submission
    from baqylau.intake.services import canonical_sha256
    from baqylau.protocols.models import CopyLine, CopyVote

    election = contest.election
    paths = dict(
        AdminUnit.objects.filter(election=election, kind=AdminUnit.Kind.STATION).values_list(
            "path", "id"
        )
    )
    station_paths = sim.station_paths()[copies.station]
    station_ids = np.array([paths[str(p)] for p in station_paths], dtype=np.int64)
    choice_id_of = dict(Choice.objects.filter(contest=contest).values_list("code", "id"))
    choice_codes = [str(c) for c in sim.choice_code]
    choice_ids = [choice_id_of[c] for c in choice_codes]
    line_codes = list(copies.line_codes)
    received_at = received_at or timezone.make_aware(
        dt.datetime.combine(election.date, dt.time(21, 0))
    )
    n = copies.size
    if not n:
        return 0

    form = contest_form(contest)
    pages = (form.pages or 1) if form is not None else 1
    form = form if validate else None
    status = np.full(n, ProtocolCopy.Validation.ACCEPTED, dtype=object)
    findings: dict[int, list] = {}
    if form is not None:
        form_lines = list(form.line_codes)
        lines_full = np.full((n, len(form_lines)), engine.MISSING, np.int64)
        for j, code in enumerate(line_codes):
            if code in form_lines:
                lines_full[:, form_lines.index(code)] = copies.lines[:, j]
        fig = CopyFigures(
            form_lines,
            choice_ids,
            np.arange(n),
            station_ids,
            status,
            status,
            lines_full,
            copies.votes.astype(np.int64),
            np.full(n, pages, np.int64),
        )
        from baqylau.protocols.policies import validation_policy

        status, findings = validate_figures(form, fig, validation_policy(election, form))

    lines_list = copies.lines.tolist()
    votes_list = copies.votes.tolist()
    numbers = copies.number.tolist()
    sub_ids = [uuid.uuid4() for _ in range(n)]
    with transaction.atomic():
        payloads = []
        for i in range(n):
            data = {
                "election": election.code,
                "contest": contest.code,
                "station_path": str(station_paths[i]),
                "lines": dict(zip(line_codes, lines_list[i], strict=True)),
                "votes": dict(zip(choice_codes, votes_list[i], strict=True)),
                "source": "observer",
            }
            payloads.append({"data": data, "attachments": []})
        bulk_insert(
            Submission,
            [
                "id",
                "election",
                "channel",
                "kind",
                "sender",
                "received_at",
                "payload",
                "payload_sha256",
                "language",
            ],
            (
                (
                    sub_ids[i],
                    election.pk,
                    Submission.Channel.IMPORT,
                    Submission.Kind.PROTOCOL,
                    f"sim-observer-{numbers[i] + 1}",
                    received_at,
                    payloads[i],
                    canonical_sha256(payloads[i]),
                    "ru",
                )
                for i in range(n)
            ),
        )
        bulk_insert(
            ProtocolCopy,
            [
                "submission",
                "contest",
                "station",
                "source",
                "source_ref",
                "received_at",
                "pages_received",
                "validation",
                "findings",
                "moderation",
            ],
            (
                (
                    sub_ids[i],
                    contest.pk,
                    int(station_ids[i]),
                    ProtocolCopy.Source.OBSERVER,
                    f"sim-observer-{numbers[i] + 1}",
                    received_at,
                    pages,
                    str(status[i]),
                    findings.get(i, []),
                    ProtocolCopy.Moderation.PENDING,
                )
                for i in range(n)
            ),
        )
        # read the new copies' ids back in submission order
        by_sub = dict(
            ProtocolCopy.objects.filter(submission_id__in=sub_ids[:1]).values_list(
                "submission_id", "id"
            )
        )
        first = by_sub[sub_ids[0]]
        copy_rows = list(
            ProtocolCopy.objects.filter(contest=contest, id__gte=first)
            .order_by("id")
            .values_list("id", "submission_id")
        )
        index = {sid: i for i, sid in enumerate(sub_ids)}
        copy_id = np.zeros(n, np.int64)
        for cid, sid in copy_rows:
            i = index.get(sid)
            if i is not None:
                copy_id[i] = cid
        ids = copy_id.tolist()
        bulk_insert(
            CopyLine,
            ["copy", "line", "value"],
            (
                (ids[i], code, v)
                for i in range(n)
                for code, v in zip(line_codes, lines_list[i], strict=True)
                if v >= 0
            ),
        )
        bulk_insert(
            CopyVote,
            ["copy", "choice", "votes"],
            (
                (ids[i], cid, v)
                for i in range(n)
                for cid, v in zip(choice_ids, votes_list[i], strict=True)
                if v >= 0
            ),
        )
    return n
