"""Writes of the tally: the one count, the one comparison with the official result, the estimate.

    recount(contest)                    every station: reconcile → count → compare → estimate
    recount(contest, stations=[…])      only those stations, and the units above them

The arithmetic is in `tally.engine` (pure numpy); this module loads arrays with a few aggregate
queries and writes rows in bulk. Everything public about the count reads what is written here:
`StationResult` (each station), `UnitCount` (each unit), `Finding` and `Estimate`.

The recount is kept current by itself: a new copy or a moderator's decision marks its station
(`stations_changed`, `mark_stations`, in the transaction of the change), and the background job
`tally.tasks.recount_pending` recounts the marked stations and their ancestors.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from baqylau.db import MISSING, bulk_insert, fetch_all, read_matrix
from baqylau.elections.models import (
    AdminUnit,
    Choice,
    Contest,
    OfficialLine,
    OfficialResult,
    OfficialVote,
)
from baqylau.protocols.models import ProtocolCopy
from baqylau.tally import engine, messages
from baqylau.tally.models import (
    Conflict,
    Estimate,
    Finding,
    PendingRecount,
    StationResult,
    UnitCount,
)
from baqylau.tally.reconciliation import (
    Observed,
    ReconcileSummary,
    contest_choice_ids,
    contest_form,
    contest_line_codes,
    load_copy_figures,
    load_observed,
    reconcile,
)

Kind = Finding.Kind

# ---------------------------------------------------------------------------------------------
# The unit tree and the figures of a contest as arrays


class UnitTree:
    """The unit tree of an election as arrays: ids (sorted), paths, and the engine's `Tree`."""

    def __init__(self, election_id: int):
        self.election_id = election_id
        rows = list(
            AdminUnit.objects.filter(election_id=election_id)
            .order_by("id")
            .values_list("id", "parent_id", "depth", "kind", "registered_voters", "path")
        )
        n = len(rows)
        self.ids = np.fromiter((r[0] for r in rows), np.int64, n)
        self.paths = [r[5] for r in rows]
        parent_ids = np.fromiter((r[1] or 0 for r in rows), np.int64, n)
        parent = np.searchsorted(self.ids, parent_ids)
        has_parent = np.fromiter((r[1] is not None for r in rows), bool, n)
        self.tree = engine.Tree.build(
            parent=np.where(has_parent, parent, -1),
            depth=np.fromiter((r[2] for r in rows), np.int64, n),
            is_station=np.fromiter((r[3] == AdminUnit.Kind.STATION for r in rows), bool, n),
            registered=np.fromiter((r[4] or 0 for r in rows), np.int64, n),
        )

    def index_of(self, unit_ids: Iterable[int] | np.ndarray) -> np.ndarray:
        """Indices of units by id (ids of other elections are not looked for)."""
        ids = unit_ids if isinstance(unit_ids, np.ndarray) else list(unit_ids)
        return np.searchsorted(self.ids, np.asarray(ids, dtype=np.int64))

    def contains(self, unit_ids: np.ndarray) -> np.ndarray:
        """(n,) which of the ids are units of this tree."""
        at = np.minimum(self.index_of(unit_ids), max(self.size - 1, 0))
        return (self.size > 0) & (self.ids[at] == np.asarray(unit_ids, np.int64))

    @property
    def size(self) -> int:
        return int(self.ids.size)

    def with_ancestors(self, index: np.ndarray) -> np.ndarray:
        """The given units and every unit above them (sorted indices)."""
        found = set()
        for i in np.asarray(index, np.int64).tolist():
            while i >= 0 and i not in found:
                found.add(i)
                i = int(self.tree.parent[i])
        return np.array(sorted(found), np.int64)

    def names(self, index: Iterable[int]) -> dict[int, dict[str, str]]:
        """Unit index → its name in kk/ru/en (each falling back to another language, then to the
        path), for the few units a finding names."""
        wanted = sorted({int(i) for i in index})
        out: dict[int, dict[str, str]] = {}
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            rows = AdminUnit.objects.filter(id__in=[int(self.ids[i]) for i in chunk]).values_list(
                "id", "name_kk", "name_ru", "name_en"
            )
            by_id = {r[0]: r[1:] for r in rows}
            for i in chunk:
                kk, ru, en = by_id.get(int(self.ids[i]), ("", "", ""))
                path = self.paths[i]
                out[i] = {
                    "kk": kk or ru or en or path,
                    "ru": ru or kk or en or path,
                    "en": en or ru or kk or path,
                }
        return out

    def ancestors(self) -> np.ndarray:
        """(U, depth + 1): each unit itself, then its parent, grandparent ... (-1 padded)."""
        depth = int(self.tree.depth.max(initial=0))
        out = np.full((self.size, depth + 1), -1, dtype=np.int64)
        out[:, 0] = np.arange(self.size)
        for k in range(1, depth + 1):
            prev = out[:, k - 1]
            has = prev >= 0
            out[has, k] = self.tree.parent[prev[has]]
        return out


class ContestTree(UnitTree):
    """The unit tree of a contest's election, with the figure columns of the contest."""

    def __init__(self, contest: Contest):
        super().__init__(contest.election_id)
        self.contest = contest
        self.line_codes = contest_line_codes(contest)
        self.choice_ids = contest_choice_ids(contest)
        self.form = contest_form(contest)
        self._official: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def width(self) -> int:
        return len(self.line_codes) + len(self.choice_ids)

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

    def station_matrix(self, observed: Observed) -> tuple[np.ndarray, np.ndarray]:
        """(settled (U,), figures (U, L + K)) with the observed results at their stations."""
        settled = np.zeros(self.size, bool)
        figures = np.full((self.size, self.width), MISSING, np.int64)
        at = self.index_of(observed.station_id)
        settled[at] = observed.settled
        figures[at] = np.concatenate(
            [
                _align(observed.lines, observed.line_codes, self.line_codes),
                _align(observed.votes, observed.choice_ids, self.choice_ids),
            ],
            axis=1,
        )
        return settled, figures

    def official(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(has official result (U,), figures (U, L + K), result id (U,)), -1 where none."""
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
        result_of = np.full(self.size, -1, np.int64)
        result_of[unit_index] = result_ids
        figures = np.full((self.size, self.width), MISSING, np.int64)
        n_lines = len(self.line_codes)
        figures[unit_index, :n_lines] = read_matrix(
            OfficialLine, "result_id", "line", "value", self.line_codes, result_ids
        )
        figures[unit_index, n_lines:] = read_matrix(
            OfficialVote, "result_id", "choice_id", "votes", self.choice_ids, result_ids
        )
        return has, figures, result_of

    def column_names(self) -> list[tuple[str, int | None, dict[str, str]]]:
        """(line code, choice id, name in kk/ru/en) of every column."""
        choices = {
            c.pk: {
                "kk": c.name_kk or c.name_ru or c.code,
                "ru": c.name_ru or c.code,
                "en": c.name_en or c.code,
            }
            for c in Choice.objects.filter(contest=self.contest)
        }
        out: list[tuple[str, int | None, dict[str, str]]] = []
        for code in self.line_codes:
            if self.form is not None:
                line = self.form.line(code)
                name = {"kk": line.name.kk, "ru": line.name.ru, "en": line.name.en}
                out.append((code, None, messages.line_name(line.number, name)))
            else:
                out.append((code, None, messages.line_name(code, None)))
        for cid in self.choice_ids:
            out.append(("", cid, messages.votes_for(choices.get(cid, {"en": str(cid)}))))
        return out


def _turnout(lines: list[int], took: list[int], registered: int | None) -> float | None:
    """Took part / registered, by the form's turnout lines; None where a line is unknown."""
    if registered is None or not took or lines[registered] <= 0:
        return None
    voters = [lines[j] for j in took]
    if any(v < 0 for v in voters):
        return None
    return sum(voters) / lines[registered]


def _align(matrix: np.ndarray, have: list, want: list) -> np.ndarray:
    if list(have) == list(want):
        return matrix
    out = np.full((matrix.shape[0], len(want)), MISSING, np.int64)
    for j, key in enumerate(want):
        if key in have:
            out[:, j] = matrix[:, have.index(key)]
    return out


# ---------------------------------------------------------------------------------------------
# What the copies say, unit by unit


COPY_STATES = ("received", "passed", "failed", "accepted", "rejected", "waiting")
RESULT_STATES = tuple(str(s) for s in StationResult.Status)


def _copy_states(contest: Contest, ct: ContestTree, settled: np.ndarray) -> np.ndarray:
    """(U, len(COPY_STATES)) protocol copies under each unit, by state. "Waiting" (for a
    moderator): not decided yet, and either failed the checks or at a station not settled."""
    rows = fetch_all(
        ProtocolCopy.objects.filter(contest=contest).values_list(
            "station_id", "checks", "moderation"
        )
    )
    out = np.zeros((ct.size, len(COPY_STATES)), np.int64)
    if rows:
        at = ct.index_of([r[0] for r in rows])
        passed = np.array([r[1] == ProtocolCopy.Checks.PASSED for r in rows])
        moderation = np.array([r[2] for r in rows], dtype=object)
        pending = moderation == ProtocolCopy.Moderation.PENDING
        columns = [
            np.ones(len(rows), bool),
            passed,
            ~passed,
            moderation == ProtocolCopy.Moderation.ACCEPTED,
            moderation == ProtocolCopy.Moderation.REJECTED,
            pending & (~passed | ~settled[at]),
        ]
        for j, mask in enumerate(columns):
            np.add.at(out[:, j], at[mask], 1)
    return ct.tree.roll_up(out)


def _result_states(ct: ContestTree, observed: Observed) -> np.ndarray:
    out = np.zeros((ct.size, len(RESULT_STATES)), np.int64)
    at = ct.index_of(observed.station_id)
    for j, state in enumerate(RESULT_STATES):
        np.add.at(out[:, j], at[observed.status == state], 1)
    return ct.tree.roll_up(out)


# ---------------------------------------------------------------------------------------------
# The comparison with the official result (and with the voters' ballot photos)


@dataclass
class CompareSummary:
    station_differs: int = 0
    stations_differ: int = 0
    subset_exceeds_total: int = 0
    parts_do_not_sum: int = 0
    official_inconsistent: int = 0
    crowd_exceeds_official: int = 0
    crowd_declared_exceeds: int = 0


#: The kinds that depend on what observers and voters send (recomputed for the stations that
#: changed and the units above them); the others depend only on the official figures
#: (recomputed with every full recount, as after an import).
STATION_KINDS = (
    Kind.STATION_DIFFERS.value,
    Kind.SUBSET_EXCEEDS_TOTAL.value,
    Kind.CROWD_EXCEEDS_OFFICIAL.value,
    Kind.CROWD_DECLARED_EXCEEDS.value,
)
OFFICIAL_KINDS = (Kind.PARTS_DO_NOT_SUM.value, Kind.OFFICIAL_INCONSISTENT.value)


def _decisions_of(copy_ids: Sequence[int]) -> dict[int, list[int]]:
    """Copy id → ids of the moderators' decisions on it (the evidence a finding rests on)."""
    from baqylau.moderation.models import Decision

    out: dict[int, list[int]] = {}
    for start in range(0, len(copy_ids), 900):
        chunk = list(copy_ids[start : start + 900])
        for pk, copy_id in Decision.objects.filter(copy_id__in=chunk).values_list("id", "copy_id"):
            out.setdefault(copy_id, []).append(pk)
    return out


def _station_findings(
    ct: ContestTree, observed: Observed, only: np.ndarray | None, summary: CompareSummary
) -> list[tuple]:
    """Official figure ≠ the settled figure of the signed copies, at settled stations only, and
    only where both figures are known (an unknown figure is never compared, never 0)."""
    has_official, official, result_of = ct.official()
    _, figures = ct.station_matrix(observed)
    rows = np.flatnonzero(observed.settled)
    at = ct.index_of(observed.station_id[rows])
    if only is not None:
        keep = np.isin(at, only)
        rows, at = rows[keep], at[keep]
    differs = engine.differences(figures[at], official[at])
    names = ct.column_names()
    conflicts_of = _resolved_conflicts(ct.contest, observed.station_id[rows[differs.any(axis=1)]])
    copies_in = (
        {int(observed.station_id[r]): observed.copy_ids[r] for r in rows.tolist()}
        if observed.copy_ids
        else {}
    )
    decisions = _decisions_of(
        [
            c
            for r in rows[differs.any(axis=1)].tolist()
            for c in (observed.copy_ids[r] if observed.copy_ids else [])
        ]
    )
    out = []
    summary.stations_differ += int(differs.any(axis=1).sum())
    for s, j in zip(*np.nonzero(differs), strict=True):
        u = int(at[s])
        station_id = int(ct.ids[u])
        o, f = int(figures[u, j]), int(official[u, j])
        line, choice_id, name = names[int(j)]
        copy_ids = copies_in.get(station_id, [])
        out.append(
            (
                station_id,
                Kind.STATION_DIFFERS.value,
                line,
                choice_id,
                o,
                f,
                {
                    "difference": f - o,
                    "status": str(observed.status[rows[s]]),
                    "message": messages.station_differs(name, f, o),
                    "evidence": {
                        "copies": copy_ids,
                        "decisions": sorted(d for c in copy_ids for d in decisions.get(c, [])),
                        "conflicts": conflicts_of.get(station_id, []),
                        "official_result": int(result_of[u]),
                    },
                },
            )
        )
    summary.station_differs += len(out)
    return out


def _resolved_conflicts(contest: Contest, station_ids: np.ndarray) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    ids = [int(s) for s in station_ids]
    for start in range(0, len(ids), 900):
        for pk, station_id in Conflict.objects.filter(
            result__contest=contest,
            result__station_id__in=ids[start : start + 900],
            resolved_value__isnull=False,
        ).values_list("id", "result__station_id"):
            out.setdefault(station_id, []).append(pk)
    return out


def _subset_findings(
    ct: ContestTree,
    counted: engine.Count,
    settled: np.ndarray,
    only: np.ndarray | None,
    summary: CompareSummary,
) -> list[tuple]:
    has_official, official, result_of = ct.official()
    count_fig = np.concatenate([counted.lines, counted.votes], axis=1)
    exceeds = (
        engine.subset_exceeds(count_fig, official)
        & ~ct.tree.is_station[:, None]
        & has_official[:, None]
    )
    if only is not None:
        exceeds &= np.isin(np.arange(ct.size), only)[:, None]
    names = ct.column_names()
    out = []
    for u, j in zip(*np.nonzero(exceeds), strict=True):
        o, f = int(count_fig[u, j]), int(official[u, j])
        line, choice_id, name = names[int(j)]
        cov, tot = int(counted.stations_covered[u]), int(counted.stations_total[u])
        out.append(
            (
                int(ct.ids[u]),
                Kind.SUBSET_EXCEEDS_TOTAL.value,
                line,
                choice_id,
                o,
                f,
                {
                    "stations_covered": cov,
                    "stations_total": tot,
                    "excess": o - f,
                    "message": messages.subset_exceeds(name, ct.paths[u], cov, tot, o, f),
                    "evidence": {"official_result": int(result_of[u]), "stations_covered": cov},
                },
            )
        )
    summary.subset_exceeds_total += len(out)
    return out


def _parts_findings(ct: ContestTree, summary: CompareSummary) -> list[tuple]:
    """Official totals (announced for a unit: the country, a region) that are not the sum of
    their parts. A unit with no stations under it (an election imported by region) compares its
    total with its children's only, and only where some part has the figure: a unit whose parts
    are unknown is never flagged."""
    has_official, official, result_of = ct.official()
    parts = engine.parts_check(ct.tree, official)
    names = ct.column_names()
    n_children = ct.tree.children_count()
    n_stations = ct.tree.roll_up(ct.tree.is_station.astype(np.int64))
    unit_names = ct.names(np.nonzero(parts.mismatch)[0])
    out = []
    for u, j in zip(*np.nonzero(parts.mismatch), strict=True):
        total, psum = int(official[u, j]), int(parts.parts_sum[u, j])
        line, choice_id, name = names[int(j)]
        children = str(parts.parts[u]) == "children"
        complete = bool(parts.complete[u, j])
        n_parts = int(n_children[u] if children else n_stations[u]) if complete else None
        out.append(
            (
                int(ct.ids[u]),
                Kind.PARTS_DO_NOT_SUM.value,
                line,
                choice_id,
                psum,
                total,
                {
                    "parts": str(parts.parts[u]),
                    "complete": complete,
                    "difference": total - psum,
                    "parts_count": n_parts,
                    "message": messages.parts_do_not_sum(
                        name, unit_names[int(u)], total, psum, children, complete, n_parts
                    ),
                    "evidence": {"official_result": int(result_of[u])},
                },
            )
        )
    summary.parts_do_not_sum += len(out)
    return out


def _inconsistent_findings(ct: ContestTree, summary: CompareSummary) -> list[tuple]:
    """Stations whose official figures break an error-level control relation of the form (a
    line the official data lacks is not a finding)."""
    if ct.form is None:
        return []
    from baqylau.protocols.engine import validate_arrays

    has_official, official, result_of = ct.official()
    rows = np.flatnonzero(has_official & ct.tree.is_station)
    if not rows.size:
        return []
    n_lines = len(ct.line_codes)
    lines = {
        code: np.ma.masked_less(official[rows, j], 0)
        for j, code in enumerate(ct.line_codes)
        if code in ct.form.line_codes
    }
    found = validate_arrays(ct.form, lines, np.ma.masked_less(official[rows, n_lines:], 0))
    broken = {rid: m.violated for rid, m in found.relations.items() if str(m.severity) == "error"}
    out = []
    for i, u in enumerate(rows.tolist()):
        which = sorted(rid for rid, mask in broken.items() if mask[i])
        if not which:
            continue
        relations = [_relation_text(ct.form, rid) for rid in which]
        out.append(
            (
                int(ct.ids[u]),
                Kind.OFFICIAL_INCONSISTENT.value,
                "",
                None,
                None,
                None,
                {
                    "relations": which,
                    "message": messages.official_inconsistent(relations),
                    "evidence": {"official_result": int(result_of[u])},
                },
            )
        )
    summary.official_inconsistent += len(out)
    return out


def _relation_text(form, rid: str) -> dict[str, str]:
    relation = next((r for r in form.relations if r.id == rid), None)
    text = f"{relation.expr}" if relation is not None else rid
    return {"kk": text, "ru": text, "en": text}


@dataclass
class CrowdFigures:
    """The voters' figures of every unit (rolled up from its stations), for `UnitCount.crowd`."""

    declared: np.ndarray  # (U, K) voters who declared each choice, with or without a photo
    photo: np.ndarray  # (U, K) of them, those who confirmed it with a ballot photo
    stations: np.ndarray  # (U,) stations with any voters' figure
    stations_photo: np.ndarray  # (U,) stations with at least one photo-confirmed vote
    compared: np.ndarray  # (U,) stations with voters' figures and an official result
    exceeds_declared: np.ndarray  # (U,) stations where declared votes for a choice > official
    exceeds_photo: np.ndarray  # (U,) stations where photo-confirmed votes for a choice > official
    exceeds_declared_by: np.ndarray  # (U, K) the same, choice by choice
    exceeds_photo_by: np.ndarray  # (U, K)
    #: (U, len(CROWD_TIER_KEYS)) the bot's ballots by verified tier (those in the figures) and,
    #: for the rest, by standing (`tally.selectors.crowd_standing`): what the figures rest on
    tiers: np.ndarray
    unverified: np.ndarray  # (U, K) counted unverified bot ballots by choice, published apart

    def of_unit(self, u: int, choice_ids: list[int]) -> dict[str, Any]:
        from baqylau.tally.selectors import CROWD_TIER_KEYS

        counts = zip(CROWD_TIER_KEYS, self.tiers[u].tolist(), strict=True)
        tiers = {k: int(v) for k, v in counts if v}
        if not self.stations[u]:
            # no voters' figure under the unit: unknown, never 0 (only what was left out of it)
            return {"tiers": tiers} if tiers else {}
        return {
            "tiers": tiers,
            "unverified": _by_choice(choice_ids, self.unverified[u]),
            "declared": _by_choice(choice_ids, self.declared[u]),
            "photo": _by_choice(choice_ids, self.photo[u]),
            "stations": int(self.stations[u]),
            "stations_photo": int(self.stations_photo[u]),
            "compared": int(self.compared[u]),
            "exceeds": {
                "declared": int(self.exceeds_declared[u]),
                "photo": int(self.exceeds_photo[u]),
            },
            "exceeds_by_choice": {
                "declared": _by_choice(choice_ids, self.exceeds_declared_by[u]),
                "photo": _by_choice(choice_ids, self.exceeds_photo_by[u]),
            },
        }


def _by_choice(choice_ids: list[int], row: np.ndarray) -> dict[str, int]:
    return {str(c): int(v) for c, v in zip(choice_ids, row.tolist(), strict=True)}


def crowd_vs_official(
    ct: ContestTree, only: np.ndarray | None, summary: CompareSummary
) -> tuple[list[tuple], CrowdFigures]:
    """The voters' count of every station and choice, in two tiers, and where it exceeds the
    official votes ("more voters for X than X's official votes"): the one place the tally
    compares the crowd with the official result.

    What voters told us comes from two sources, each counting a voter once: the crowd platforms'
    counts (`CrowdCount`, imported or sent to the API; the latest row per station, choice and
    platform) and the voters' bot (`CrowdBallot`s counted once per voter and station, of a
    verified tier, not held, not spam: `tally.selectors.crowd_headline`, the one trust rule; an
    unverified ballot is counted apart, in `unverified`, and never reaches the figures or the
    findings). Tiers: *photo* -- confirmed by a ballot photo; *declared* -- every voter who gave
    the choice, with or without a photo (so photo <= declared); for the bot both are verified
    voters, for a platform they are its own published figures (labelled with its name in the
    evidence). Where sources overlap, a station's figure is the largest any one source gives
    (never their sum: a voter may use two platforms).

    A station is compared where its official figure for the choice is known; the arithmetic is
    `forensics.crowd.crowd_impossibility`, once per tier. Photo-confirmed votes above the
    official votes prove the official figure wrong (given genuine photos);
    declared votes above them are a weaker finding of their own kind.
    """
    from baqylau.forensics.crowd import crowd_impossibility

    n_lines = len(ct.line_codes)
    declared, photo, has_crowd, counts_of = _crowd_station_figures(ct)
    tiers, unverified = _crowd_ballot_tiers(ct)
    has_official, official, result_of = ct.official()
    off = official[:, n_lines:]
    station = ct.tree.is_station
    compared = station & has_official & has_crowd
    big = np.iinfo(np.int64).max // 2
    masks = {}
    for tier, matrix in (("declared", declared), ("photo", photo)):
        masks[tier] = crowd_impossibility(
            matrix, np.where(off >= 0, off, big), has_official=compared
        )["exceeds"]
    roll = ct.tree.roll_up
    figures = CrowdFigures(
        declared=roll(declared),
        photo=roll(photo),
        stations=roll(has_crowd.astype(np.int64)),
        stations_photo=roll((has_crowd & (photo.sum(axis=1) > 0)).astype(np.int64)),
        compared=roll(compared.astype(np.int64)),
        exceeds_declared=roll(masks["declared"].any(axis=1).astype(np.int64)),
        exceeds_photo=roll(masks["photo"].any(axis=1).astype(np.int64)),
        exceeds_declared_by=roll(masks["declared"].astype(np.int64)),
        exceeds_photo_by=roll(masks["photo"].astype(np.int64)),
        tiers=roll(tiers),
        unverified=roll(unverified),
    )
    if only is not None:
        keep = np.isin(np.arange(ct.size), only)[:, None]
        masks = {tier: mask & keep for tier, mask in masks.items()}
    names = ct.column_names()
    counted_ballots = _counted_crowd_ballots(ct.contest)
    out = []
    for tier, kind, matrix, text in (
        ("photo", Kind.CROWD_EXCEEDS_OFFICIAL.value, photo, messages.crowd_exceeds),
        ("declared", Kind.CROWD_DECLARED_EXCEEDS.value, declared, messages.crowd_declared_exceeds),
    ):
        pairs = list(zip(*np.nonzero(masks[tier]), strict=True))
        ballots = _ballot_evidence(
            counted_ballots.filter(photo__isnull=False) if tier == "photo" else counted_ballots,
            {(int(ct.ids[u]), ct.choice_ids[int(j)]) for u, j in pairs},
        )
        for u, j in pairs:
            _line, choice_id, name = names[n_lines + int(j)]
            c, f = int(matrix[u, j]), int(off[u, j])
            station_id = int(ct.ids[u])
            out.append(
                (
                    station_id,
                    kind,
                    "",
                    choice_id,
                    c,
                    f,
                    {
                        "excess": c - f,
                        "tier": tier,
                        "message": text(name, c, f),
                        "evidence": {
                            "official_result": int(result_of[u]),
                            "crowd_counts": counts_of.get((station_id, choice_id), []),
                            "ballot_photos" if tier == "photo" else "voters": c,
                            "ballots": ballots.get((station_id, choice_id), []),
                            "tiers": _tier_counts(ballots.get((station_id, choice_id), [])),
                        },
                    },
                )
            )
        if tier == "photo":
            summary.crowd_exceeds_official += len(pairs)
        else:
            summary.crowd_declared_exceeds += len(pairs)
    return out, figures


def _crowd_station_figures(
    ct: ContestTree,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[tuple[int, int], list[int]]]:
    """(declared (U, K), photo (U, K), has voters' figures (U,), (station, choice) -> ids of the
    `CrowdCount` rows used) from the platforms' counts and the voters' bot; see
    `crowd_vs_official`."""
    from django.db.models import Count

    from baqylau.crowd.models import CrowdCount

    k = len(ct.choice_ids)
    col = {c: j for j, c in enumerate(ct.choice_ids)}
    declared = np.zeros((ct.size, k), np.int64)
    photo = np.zeros((ct.size, k), np.int64)
    has = np.zeros(ct.size, bool)
    latest: dict[tuple[int, int, str], tuple] = {}
    for pk, station_id, choice_id, source, registered, photos in fetch_all(
        CrowdCount.objects.filter(contest=ct.contest)
        .order_by("id")
        .values_list("id", "station_id", "choice_id", "source", "registered", "photo")
    ):
        latest[(station_id, choice_id, source)] = (pk, registered, photos)
    counts_of: dict[tuple[int, int], list[int]] = {}
    rows = []  # (station id, choice id, declared, photo)
    for (station_id, choice_id, _source), (pk, registered, photos) in latest.items():
        rows.append(
            (station_id, choice_id, registered if registered is not None else photos, photos or 0)
        )
        counts_of.setdefault((station_id, choice_id), []).append(pk)
    rows += fetch_all(  # the voters' bot: (station, choice, ballots, of which with a photo)
        _counted_crowd_ballots(ct.contest)
        .values("station_id", "choice_id")
        .annotate(n=Count("id"), with_photo=Count("photo"))
        .order_by()
        .values_list("station_id", "choice_id", "n", "with_photo")
    )
    if rows:
        ids = np.array([r[0] for r in rows], np.int64)
        cols = np.array([col.get(r[1], -1) for r in rows])
        ok = ct.contains(ids) & (cols >= 0)
        at = ct.index_of(ids[ok])
        np.maximum.at(declared, (at, cols[ok]), np.array([r[2] for r in rows], np.int64)[ok])
        np.maximum.at(photo, (at, cols[ok]), np.array([r[3] for r in rows], np.int64)[ok])
        has[at] = True
    return declared, photo, has, counts_of


def _counted_crowd_ballots(contest: Contest):
    """The voters' bot ballots the voters' figures and the crowd findings rest on: counted, of a
    verified tier, not held, not spam (`tally.selectors.crowd_headline`), giving a choice at a
    station."""
    from baqylau.crowd.models import CrowdBallot
    from baqylau.tally.selectors import crowd_headline

    return crowd_headline(
        CrowdBallot.objects.filter(contest=contest, choice__isnull=False, station__isnull=False)
    ).exclude(category__in=("pending", "spoiled"))


def _crowd_ballot_tiers(ct: ContestTree) -> tuple[np.ndarray, np.ndarray]:
    """Per station: the bot's ballots by verified tier or, left out of the figures, by standing
    (`CROWD_TIER_KEYS`, the rule `tally.selectors.crowd_standing`), and the counted unverified
    ballots by choice."""
    from django.db.models import Count

    from baqylau.crowd.models import CrowdBallot
    from baqylau.tally.selectors import (
        CROWD_HEADLINE,
        CROWD_TIER_KEYS,
        CROWD_UNVERIFIED,
        crowd_standing,
    )

    tiers = np.zeros((ct.size, len(CROWD_TIER_KEYS)), np.int64)
    unverified = np.zeros((ct.size, len(ct.choice_ids)), np.int64)
    tier_col = {k: j for j, k in enumerate(CROWD_TIER_KEYS)}
    col = {c: j for j, c in enumerate(ct.choice_ids)}
    rows = fetch_all(
        CrowdBallot.objects.filter(contest=ct.contest, station__isnull=False)
        .values("station_id", "category", "tier", "counted", "held", "choice_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("station_id", "category", "tier", "counted", "held", "choice_id", "n")
    )
    if not rows:
        return tiers, unverified
    ids = np.array([r[0] for r in rows], np.int64)
    inside = ct.contains(ids)
    at = np.full(len(rows), -1, np.int64)
    at[inside] = ct.index_of(ids[inside])
    for u, row in zip(at.tolist(), rows, strict=True):
        _station, category, tier, counted, held, choice_id, n = row
        if u < 0:
            continue
        standing = crowd_standing(category, tier, bool(counted), bool(held))
        tiers[u, tier_col[tier if standing == CROWD_HEADLINE else standing]] += n
        if standing == CROWD_UNVERIFIED and category not in ("pending", "spoiled"):
            j = col.get(choice_id)
            if j is not None:
                unverified[u, j] += n
    return tiers, unverified


def _ballot_evidence(counted_ballots, pairs: set[tuple[int, int]]) -> dict[tuple, list[dict]]:
    """(station id, choice id) → the ballot photos a crowd finding rests on (ballot, envelope,
    the photo's SHA-256), for the pairs given only (the findings: few)."""
    out: dict[tuple, list[dict]] = {}
    stations = sorted({s for s, _ in pairs})
    for start in range(0, len(stations), 900):
        for station_id, choice_id, pk, submission_id, sha256, tier in (
            counted_ballots.filter(station_id__in=stations[start : start + 900])
            .order_by("pk")
            .values_list("station_id", "choice_id", "pk", "submission_id", "photo__sha256", "tier")
        ):
            if (station_id, choice_id) in pairs:
                out.setdefault((station_id, choice_id), []).append(
                    {
                        "ballot": pk,
                        "submission": str(submission_id),
                        "photo_sha256": sha256,
                        "tier": tier,
                    }
                )
    return out


def _tier_counts(ballots: list[dict]) -> dict[str, int]:
    """How many of a finding's ballots are of each verified tier."""
    counts: dict[str, int] = {}
    for ballot in ballots:
        counts[ballot["tier"]] = counts.get(ballot["tier"], 0) + 1
    return counts


@transaction.atomic
def _store_findings(
    contest: Contest, findings: list[tuple], kinds: Sequence[str], units: Sequence[int] | None
) -> None:
    """Replace the findings of these kinds (at these units, or everywhere). A finding is cited
    elsewhere (legal cases link to it), so one that still holds keeps its row, and its links,
    across recounts, even when its figures change (a late copy, a corrected official result): a
    row is matched by its subject (unit, kind, line, choice), updated only when its figures or
    details changed, and deleted only when the finding no longer holds."""
    existing_qs = Finding.objects.filter(contest=contest, kind__in=list(kinds))
    if units is not None:
        existing_qs = existing_qs.filter(unit_id__in=list(units))
    existing: dict[tuple, list[tuple]] = defaultdict(list)
    for pk, unit, kind, line, choice, observed, official, details in existing_qs.order_by(
        "id"
    ).values_list("id", "unit_id", "kind", "line", "choice_id", "observed", "official", "details"):
        existing[(unit, kind, line, choice)].append((pk, (observed, official, details)))
    now = timezone.now()
    inserts: list[tuple] = []
    changed: list[Finding] = []
    for row in findings:
        same_subject = existing.get(tuple(row[:4]))
        if not same_subject:
            inserts.append((contest.pk, *row, now))
            continue
        pk, held = same_subject.pop(0)
        if held != tuple(row[4:7]):
            changed.append(
                Finding(pk=pk, observed=row[4], official=row[5], details=row[6], computed_at=now)
            )
    stale = [pk for rows in existing.values() for pk, _ in rows]
    for start in range(0, len(stale), 900):
        Finding.objects.filter(pk__in=stale[start : start + 900]).delete()
    Finding.objects.bulk_update(
        changed, ["observed", "official", "details", "computed_at"], batch_size=500
    )
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
        inserts,
    )


def _findings_by_unit(contest: Contest, ct: ContestTree) -> tuple[list[str], np.ndarray]:
    """(kinds, (U, kinds)) how many units at or under each unit have a finding of each kind."""
    kinds = [str(k) for k in Kind]
    flags = np.zeros((ct.size, len(kinds)), np.int64)
    rows = fetch_all(
        Finding.objects.filter(contest=contest).values_list("unit_id", "kind").distinct()
    )
    if rows:
        at = ct.index_of([r[0] for r in rows])
        col = np.array([kinds.index(r[1]) for r in rows])
        flags[at, col] = 1
    return kinds, ct.tree.roll_up(flags)


# ---------------------------------------------------------------------------------------------
# The count of every unit (UnitCount)


def _unit_counts(
    contest: Contest,
    ct: ContestTree,
    observed: Observed,
    counted: engine.Count,
    settled: np.ndarray,
    units: np.ndarray,
    crowd: CrowdFigures,
) -> list[UnitCount]:
    has_official, official, _ = ct.official()
    n_lines = len(ct.line_codes)
    station = ct.tree.is_station
    station_official = np.where((station & has_official)[:, None], np.maximum(official, 0), 0)
    official_sum = ct.tree.roll_up(station_official)
    official_given = ct.tree.roll_up(((station & has_official)[:, None] & (official >= 0)) * 1)
    official_stations = ct.tree.roll_up((station & has_official).astype(np.int64))
    at_covered = ct.tree.roll_up(
        np.where((settled & has_official)[:, None], np.maximum(official, 0), 0)
    )
    at_covered_given = ct.tree.roll_up(((settled & has_official)[:, None] & (official >= 0)) * 1)
    took, registered = ct.turnout_columns()
    copy_states = _copy_states(contest, ct, settled)
    result_states = _result_states(ct, observed)
    kinds, finding_counts = _findings_by_unit(contest, ct)
    now = timezone.now()

    def split(row: np.ndarray, present: np.ndarray | None = None) -> dict[str, dict[str, int]]:
        values = row.tolist()
        keep = [True] * len(values) if present is None else present.tolist()
        return {
            "lines": {
                c: v
                for c, v, k in zip(ct.line_codes, values[:n_lines], keep[:n_lines], strict=True)
                if k
            },
            "votes": {
                str(c): v
                for c, v, k in zip(ct.choice_ids, values[n_lines:], keep[n_lines:], strict=True)
                if k
            },
        }

    known = counted.reported > 0  # a line or choice no counted station gives is unknown, not 0
    rows = []
    for u in units.tolist():
        rows.append(
            UnitCount(
                contest=contest,
                unit_id=int(ct.ids[u]),
                stations_total=int(counted.stations_total[u]),
                stations_covered=int(counted.stations_covered[u]),
                registered_total=int(counted.registered_total[u]),
                registered_covered=int(counted.registered_covered[u]),
                **split(np.concatenate([counted.lines[u], counted.votes[u]]), known[u]),
                shares={
                    str(c): round(v, 6)
                    for c, v in zip(ct.choice_ids, counted.shares[u].tolist(), strict=True)
                    if np.isfinite(v)
                },
                turnout=float(counted.turnout[u]) if np.isfinite(counted.turnout[u]) else None,
                official={
                    **split(official_sum[u], official_given[u] > 0),
                    "turnout": _turnout(official_sum[u, :n_lines].tolist(), took, registered),
                    "stations": int(official_stations[u]),
                },
                announced=(
                    split(official[u], official[u] >= 0)
                    if has_official[u] and not station[u]
                    else {}
                ),
                official_at_covered={
                    **split(at_covered[u], at_covered_given[u] > 0),
                    "turnout": _turnout(at_covered[u, :n_lines].tolist(), took, registered),
                },
                results=dict(zip(RESULT_STATES, result_states[u].tolist(), strict=True)),
                copies=dict(zip(COPY_STATES, copy_states[u].tolist(), strict=True)),
                findings={
                    k: v for k, v in zip(kinds, finding_counts[u].tolist(), strict=True) if v
                },
                crowd=crowd.of_unit(u, ct.choice_ids),
                computed_at=now,
            )
        )
    return rows


@transaction.atomic
def _store_unit_counts(contest: Contest, rows: list[UnitCount], full: bool) -> None:
    if full:
        UnitCount.objects.filter(contest=contest).delete()
    else:
        ids = [r.unit_id for r in rows]
        for start in range(0, len(ids), 900):
            UnitCount.objects.filter(contest=contest, unit_id__in=ids[start : start + 900]).delete()
    UnitCount.objects.bulk_create(rows, batch_size=1000)


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
    label: str = engine.POSTSTRATIFIED_LABEL


def ok_all(est: engine.Estimates, u: int) -> bool:
    """The unit has an estimate and an interval for every choice."""
    return bool(np.isfinite(est.share[u]).all() and np.isfinite(est.margin[u]).all())


def station_strata(ct: UnitTree) -> tuple[np.ndarray, np.ndarray]:
    """(settlement class, size class) of every unit of the tree (-1 above the stations), from
    what the station records know: town or village, abroad, closed, registered voters."""
    n = ct.size
    urban, abroad, closed, known = (np.zeros(n, bool) for _ in range(4))
    rows = fetch_all(
        AdminUnit.objects.filter(
            election_id=ct.election_id, kind=AdminUnit.Kind.STATION
        ).values_list("id", "is_abroad", "closed", "settlement")
    )
    if rows:
        at = ct.index_of([r[0] for r in rows])
        abroad[at] = [bool(r[1]) for r in rows]
        closed[at] = [bool(r[2]) for r in rows]
        urban[at] = [r[3] == AdminUnit.Settlement.URBAN for r in rows]
        known[at] = [bool(r[3]) for r in rows]
    return engine.station_classes(
        ct.tree.is_station, ct.tree.registered, urban, abroad, closed, known
    )


def _coverage_rows(table: np.ndarray, names: tuple[str, ...]) -> list[dict[str, Any]]:
    """The coverage diagnostic of one unit: stations of each class, and how many observed."""
    return [
        {"class": name, "stations": int(all_), "observed": int(seen)}
        for name, (all_, seen) in zip(names, table.tolist(), strict=True)
        if all_
    ]


def estimate(
    contest: Contest, ct: ContestTree, settled: np.ndarray, figures: np.ndarray, units: np.ndarray
) -> EstimateSummary:
    """Every choice's share in the given non-station units, post-stratified, with 95% margins
    (`engine.poststratified_estimates`: strata by region, town or village, and station size,
    with an interval that includes the selection uncertainty the strata can see).

    Stored as `Estimate` rows with ``random_sample=False`` (observed stations are not a random
    sample) and, in ``details``, the method, the label, the interval, the strata, the coverage
    diagnostic (stations observed against all, by settlement and by size), the official share
    and — for the leading choice — whether the interval says a second round was due.
    """
    n_lines = len(ct.line_codes)
    settlement, size = station_strata(ct)
    cell = np.where(settlement >= 0, settlement * len(engine.SIZE_CLASSES) + size, -1)
    votes = figures[:, n_lines:]
    est = engine.poststratified_estimates(ct.tree, settled, votes, cell)
    by_settlement = engine.coverage_by_class(
        ct.tree, settled, settlement, len(engine.SETTLEMENT_CLASSES)
    )
    by_size = engine.coverage_by_class(ct.tree, settled, size, len(engine.SIZE_CLASSES))
    official_votes = ct.official()[1][:, n_lines:]
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
    units = units[~ct.tree.is_station[units]]
    rows: list[Estimate] = []
    ok = np.isfinite(est.share[units]).all(axis=1) & np.isfinite(est.margin[units]).all(axis=1)
    for u in units[ok].tolist():
        shares = est.share[u]
        leader = int(np.argmax(shares))
        coverage = {
            "settlement": _coverage_rows(by_settlement[u], engine.SETTLEMENT_CLASSES),
            "size": _coverage_rows(by_size[u], engine.SIZE_CLASSES),
        }
        for j, cid in enumerate(ct.choice_ids):
            share, margin = float(shares[j]), float(est.margin[u, j])
            details: dict[str, Any] = {
                "label": engine.POSTSTRATIFIED_LABEL,
                "method": "post-stratified ratio estimator",
                "strata": "child unit × settlement (town, village, abroad, closed, not known) "
                "× size (terciles of registered voters)",
                "interval_method": f"Poisson bootstrap over covered stations within strata "
                f"({engine.BOOTSTRAP_REPLICATES} replicates, weights re-estimated) plus the "
                "range of the covered strata's ratios for strata no observer covered",
                "interval": [max(share - margin, 0.0), min(share + margin, 1.0)],
                "stratified": True,
                "strata_used": int(est.strata_used[u]),
                "strata_total": int(est.strata_total[u]),
                "registered_in_used_strata": float(est.registered_in_used_strata[u]),
                "coverage": coverage,
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
        ids = [int(ct.ids[u]) for u in units.tolist()]
        for start in range(0, len(ids), 900):
            Estimate.objects.filter(contest=contest, unit_id__in=ids[start : start + 900]).delete()
        Estimate.objects.bulk_create(rows, batch_size=1000)

    summary = EstimateSummary(threshold=threshold)
    roots = np.flatnonzero(ct.tree.parent < 0)
    if roots.size and ok_all(est, roots[0]) and ct.choice_ids:
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
    stations_recounted: int | None = None  # None: every station
    reconcile: ReconcileSummary = field(default_factory=ReconcileSummary)
    units: int = 0
    units_written: int = 0
    unit_ids: list[int] = field(default_factory=list)  # the units whose figures were rewritten
    stations_total: int = 0
    stations_covered: int = 0
    compare: CompareSummary = field(default_factory=CompareSummary)
    estimate: EstimateSummary = field(default_factory=EstimateSummary)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def no_copies(self) -> bool:
        return self.reconcile.copies == 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def recount(
    contest: Contest, *, stations: Iterable[int] | None = None, estimates: bool = True
) -> RecountSummary:
    """Reconcile copies → count up the tree → compare with the official result → estimate, for
    every station of the contest, or only for ``stations`` and the units above them.

    Without ``estimates`` the estimate is left to `refresh_estimates` (the recount after a copy
    or a decision: the estimate's bootstrap is most of its cost, and it moves little with one
    station, so a job of its own rewrites it just after, without holding up the pages).

    The count itself always adds up every settled station (arrays of the whole tree, cheap); what
    an incremental recount saves is reconciling and writing: only the stations given, their
    ancestors' counts, findings and estimates are rewritten. Moderators' resolutions of
    conflicts are kept (see `tally.reconciliation`).
    """
    full = stations is None
    station_list = None if full else sorted({int(s) for s in stations})
    summary = RecountSummary(
        contest_id=contest.pk, stations_recounted=None if full else len(station_list)
    )
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        summary.seconds[name] = round(now - clock, 3)
        clock = now

    figures = load_copy_figures(contest, station_list)
    summary.reconcile, _ = reconcile(contest, station_list, figures)
    if not full:
        summary.reconcile.copies = ProtocolCopy.objects.filter(contest=contest).count()
    lap("reconcile")
    ct = ContestTree(contest)
    observed = load_observed(contest)
    settled, station_figures = ct.station_matrix(observed)
    took, registered = ct.turnout_columns()
    n_lines = len(ct.line_codes)
    counted = engine.count_up(
        ct.tree,
        settled,
        station_figures[:, :n_lines],
        station_figures[:, n_lines:],
        took,
        registered,
    )
    units = np.arange(ct.size) if full else ct.with_ancestors(ct.index_of(station_list))
    roots = np.flatnonzero(ct.tree.parent < 0)
    summary.units, summary.units_written = ct.size, int(units.size)
    summary.unit_ids = [int(ct.ids[u]) for u in units.tolist()]
    summary.stations_total = int(counted.stations_total[roots].sum())
    summary.stations_covered = int(counted.stations_covered[roots].sum())
    lap("count")
    only = None if full else units
    crowd_findings, crowd = crowd_vs_official(ct, only, summary.compare)
    station_findings = (
        _station_findings(ct, observed, only, summary.compare)
        + _subset_findings(ct, counted, settled, only, summary.compare)
        + crowd_findings
    )
    _store_findings(contest, station_findings, STATION_KINDS, None if full else summary.unit_ids)
    if full:
        official_findings = _parts_findings(ct, summary.compare) + _inconsistent_findings(
            ct, summary.compare
        )
        _store_findings(contest, official_findings, OFFICIAL_KINDS, None)
    lap("compare")
    _store_unit_counts(
        contest, _unit_counts(contest, ct, observed, counted, settled, units, crowd), full
    )
    lap("write counts")
    if estimates:
        summary.estimate = estimate(contest, ct, settled, station_figures, units)
        lap("estimate")
    summary.seconds["total"] = round(sum(summary.seconds.values()), 3)
    return summary


# ---------------------------------------------------------------------------------------------
# Keeping the count current: stations marked in the transaction of a change, recounted by a job


def mark_stations(contest_id: int, station_ids: Iterable[int]) -> None:
    """Mark stations of a contest for the next recount and queue the job (call inside the
    transaction of the change, so the mark commits, or rolls back, with it)."""
    from baqylau.tally.tasks import recount_pending

    pairs = sorted({int(s) for s in station_ids})
    if not pairs:
        return
    _upsert_pending(contest_id, pairs)
    recount_pending.enqueue(contest_id)  # queued in the same transaction: never lost


def _upsert_pending(contest_id: int, station_ids: list[int]) -> None:
    table = connection.ops.quote_name(PendingRecount._meta.db_table)
    now = PendingRecount._meta.get_field("queued_at").get_db_prep_save(timezone.now(), connection)
    for start in range(0, len(station_ids), 300):
        chunk = station_ids[start : start + 300]
        values = ", ".join(["(%s, %s, %s)"] * len(chunk))
        params: list[Any] = []
        for station_id in chunk:
            params += [contest_id, station_id, now]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (contest_id, station_id, queued_at) VALUES {values} "
                "ON CONFLICT (contest_id, station_id) DO UPDATE SET queued_at = excluded.queued_at",
                params,
            )


def stations_changed(plans: Sequence[Any]) -> None:
    """Intake follow-up (`intake.writer.Plan.follow_ups`): the stations of the copies just
    recorded wait for a recount."""
    by_contest: dict[int, set[int]] = {}
    for plan in plans:
        for record in plan.records:
            by_contest.setdefault(record.contest_id, set()).add(record.station_id)
    for contest_id, stations in by_contest.items():
        mark_stations(contest_id, stations)


def recount_pending(contest: Contest) -> RecountSummary | None:
    """Recount the stations marked for ``contest`` (and the units above them); None when none is.
    A mark made while this runs is kept for the next run (only the handled marks are removed)."""
    marks = list(
        PendingRecount.objects.filter(contest=contest).values_list("id", "station_id", "queued_at")
    )
    if not marks:
        return None
    summary = recount(contest, stations=[m[1] for m in marks], estimates=False)
    for mark_id, _station, queued_at in marks:
        PendingRecount.objects.filter(pk=mark_id, queued_at=queued_at).delete()
    return summary


def refresh_estimates(contest: Contest) -> EstimateSummary:
    """Rewrite the estimates of every unit above the stations from the stored station results
    (after incremental recounts, which leave the estimate to this)."""
    ct = ContestTree(contest)
    settled, station_figures = ct.station_matrix(load_observed(contest))
    return estimate(contest, ct, settled, station_figures, np.arange(ct.size))


@transaction.atomic
def resolve_conflict(conflict: Conflict, value: int, reason: str, user) -> Conflict:
    """A moderator sets the figure of a disputed line or choice; the station is recounted with
    it. The copies and their values stay as they were. The decision is an audit event in the
    ledger (the `Conflict` row itself is derived, rebuilt by every recount with the choice kept)."""
    from baqylau.evidence import ledger
    from baqylau.observers.services import record_audit

    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("the chosen value must be a non-negative integer")
    if not (reason or "").strip():
        raise ValueError("a resolution needs a reason")
    conflict = Conflict.objects.select_for_update().select_related("result").get(pk=conflict.pk)
    before = {"resolved_value": conflict.resolved_value}
    conflict.resolved_value = value
    conflict.resolved_by = user
    conflict.resolution_reason = reason.strip()
    conflict.resolved_at = timezone.now()
    conflict.save(
        update_fields=["resolved_value", "resolved_by", "resolution_reason", "resolved_at"]
    )
    event = record_audit(
        action="tally.conflict.resolve",
        obj=conflict,
        actor=user,
        before=before,
        after={
            "resolved_value": value,
            "reason": conflict.resolution_reason,
            "contest_id": conflict.result.contest_id,
            "station_id": conflict.result.station_id,
            "line": conflict.line,
            "choice_id": conflict.choice_id,
            "values": conflict.values,
        },
    )
    ledger.record_decision(event)
    mark_stations(conflict.result.contest_id, [conflict.result.station_id])
    return conflict
