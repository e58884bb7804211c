"""Reconciling the protocol copies of each station into its observed result (database side).

The arithmetic is pure (`tally.engine.taking_part`, `reconcile`); this module loads the copies'
figures with a few queries into numpy arrays, runs it, and writes `StationResult` rows (the
settled figures as JSON maps on the row itself) and `Conflict` rows in bulk.

Which copies take part, and when a station is settled, is said once, in `StationResult` and
`engine.taking_part`: a moderator's rejection removes a copy, a moderator's acceptance decides
the station, a sender's latest copy replaces their earlier ones, and only copies that passed the
checks take part otherwise. Two or more senders who agree settle a station; copies that disagree,
or a single unmoderated copy, leave it waiting.

* `reconcile(contest, stations=None)` — every station of a contest, or only some.
* `resolve_conflict(conflict, value, reason, user)` — a moderator's decision on one figure.

A moderator's resolutions survive a re-run as long as the disputed figure and the copies' values
are the same; they are never silently discarded by a recount.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connections, router, transaction
from django.utils import timezone

from baqylau.db import MISSING, bulk_insert, execute, fetch_all, read_matrix
from baqylau.elections.models import Choice, Contest
from baqylau.protocols.engine import load_form
from baqylau.protocols.models import CopyLine, CopyVote, ProtocolCopy
from baqylau.protocols.policies import auto_accepts_valid
from baqylau.tally import engine
from baqylau.tally.models import Conflict, StationResult

Status = StationResult.Status


def contest_form(contest: Contest):
    """The contest's protocol form (None when the form engine does not know it)."""
    try:
        return load_form(contest.protocol_form, contest.protocol_form_version)
    except LookupError:
        return None


def contest_line_codes(contest: Contest) -> list[str]:
    form = contest_form(contest)
    if form is not None:
        return list(form.line_codes)
    codes = set(
        CopyLine.objects.filter(copy__contest=contest).values_list("line", flat=True).distinct()
    )
    return sorted(codes, key=lambda c: (len(c), c))


def contest_choice_ids(contest: Contest) -> list[int]:
    return list(
        Choice.objects.filter(contest=contest)
        .order_by("number", "code")
        .values_list("id", flat=True)
    )


@dataclass
class CopyFigures:
    """Copies of a contest (all, or of some stations) as arrays, in id order."""

    line_codes: list[str]
    choice_ids: list[int]
    copy_id: np.ndarray  # (C,)
    station_id: np.ndarray  # (C,)
    sender: np.ndarray  # (C,) int: one number per distinct sender (source_ref)
    checks: np.ndarray  # (C,) str
    moderation: np.ndarray  # (C,) str
    lines: np.ndarray  # (C, L) -1 missing
    votes: np.ndarray  # (C, K) -1 missing

    @property
    def size(self) -> int:
        return int(self.copy_id.size)

    def subset(self, mask: np.ndarray) -> CopyFigures:
        return CopyFigures(
            self.line_codes,
            self.choice_ids,
            self.copy_id[mask],
            self.station_id[mask],
            self.sender[mask],
            self.checks[mask],
            self.moderation[mask],
            self.lines[mask],
            self.votes[mask],
        )


def load_copy_figures(contest: Contest, stations: Sequence[int] | None = None) -> CopyFigures:
    """Three queries: the copies, their lines, their votes — read straight into numpy."""
    line_codes = contest_line_codes(contest)
    choice_ids = contest_choice_ids(contest)
    copies = ProtocolCopy.objects.filter(contest=contest)
    if stations is not None:
        copies = copies.filter(station_id__in=list(stations))
    rows = fetch_all(
        copies.order_by("id").values_list("id", "station_id", "source_ref", "checks", "moderation")
    )
    c = len(rows)
    copy_id = np.fromiter((r[0] for r in rows), np.int64, c)
    _, sender = np.unique(
        np.array([r[2] or f"copy:{r[0]}" for r in rows], dtype=object), return_inverse=True
    )
    return CopyFigures(
        line_codes,
        choice_ids,
        copy_id,
        np.fromiter((r[1] for r in rows), np.int64, c),
        np.asarray(sender, np.int64).reshape(c),
        np.array([r[3] for r in rows], dtype=object),
        np.array([r[4] for r in rows], dtype=object),
        read_matrix(CopyLine, "copy_id", "line", "value", line_codes, copy_id),
        read_matrix(CopyVote, "copy_id", "choice_id", "votes", choice_ids, copy_id),
    )


def taking_part(figures: CopyFigures) -> np.ndarray:
    """(C,) the copies that take part in their station's result (`engine.taking_part`)."""
    return engine.taking_part(
        figures.station_id,
        figures.sender,
        figures.copy_id,
        passed=figures.checks == ProtocolCopy.Checks.PASSED,
        accepted=figures.moderation == ProtocolCopy.Moderation.ACCEPTED,
        rejected=figures.moderation == ProtocolCopy.Moderation.REJECTED,
    )


@dataclass
class Observed:
    """The observed station results of a contest as arrays (one row per station result)."""

    line_codes: list[str]
    choice_ids: list[int]
    station_id: np.ndarray  # (S,)
    status: np.ndarray  # (S,) str
    lines: np.ndarray  # (S, L) settled figures, -1 where missing or still disputed
    votes: np.ndarray  # (S, K)
    copy_ids: list[list[int]] = field(default_factory=list)

    @property
    def settled(self) -> np.ndarray:
        """Stations whose result is settled (see `StationResult`): counted and compared."""
        return np.isin(self.status, [str(s) for s in StationResult.SETTLED])


@dataclass
class ReconcileSummary:
    copies: int = 0
    copies_used: int = 0
    stations: int = 0
    agreed: int = 0
    single: int = 0
    conflict: int = 0
    resolved: int = 0
    checked: int = 0
    conflicts: int = 0
    resolutions_kept: int = 0


def _column_key(
    j: int, line_codes: Sequence[str], choice_ids: Sequence[int]
) -> tuple[str, int | None]:
    n_lines = len(line_codes)
    return (line_codes[j], None) if j < n_lines else ("", int(choice_ids[j - n_lines]))


def previous_resolutions(contest: Contest, stations: Sequence[int] | None = None) -> dict:
    """(station id, line, choice id) → (copies' values, chosen value, by, reason, at) of the
    disputed figures moderators resolved (kept across recounts while the values stay the same)."""
    qs = Conflict.objects.filter(result__contest=contest, resolved_value__isnull=False)
    if stations is not None:
        qs = qs.filter(result__station_id__in=list(stations))
    return {
        (station_id, line, choice_id): (values, value, by, reason, at)
        for station_id, line, choice_id, values, value, by, reason, at in qs.values_list(
            "result__station_id",
            "line",
            "choice_id",
            "values",
            "resolved_value",
            "resolved_by_id",
            "resolution_reason",
            "resolved_at",
        )
    }


def _delete_results(contest: Contest, stations: Sequence[int] | None) -> None:
    """Delete derived rows leaf first, each in one statement (no objects loaded)."""
    r, c = StationResult._meta.db_table, Conflict._meta.db_table
    params: list[Any] = [contest.pk]
    extra = ""
    if stations is not None:
        extra = f" AND station_id IN ({', '.join(['%s'] * len(stations))})"
        params += list(stations)
    execute(
        Conflict,
        f"DELETE FROM {c} WHERE result_id IN (SELECT id FROM {r} WHERE contest_id = %s{extra})",
        params,
    )
    execute(StationResult, f"DELETE FROM {r} WHERE contest_id = %s{extra}", params)


def _json_maps(keys: Sequence[Any], values: np.ndarray) -> list[str]:
    """One JSON object per row of ``values`` (key → value, the missing -1 left out), as text."""
    if not values.size:
        return ["{}"] * values.shape[0]
    heads = [json.dumps(str(k)) + ": " for k in keys]
    return [
        "{" + ", ".join([h + str(v) for h, v in zip(heads, row, strict=True) if v >= 0]) + "}"
        for row in values.tolist()
    ]


def _chunks(values: Sequence[int], size: int = 900):
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass
class Derived:
    """What reconciling a contest's copies gives, before anything is written."""

    line_codes: list[str]
    choice_ids: list[int]
    station_id: np.ndarray  # (S,)
    status: np.ndarray  # (S,) str
    copies_count: np.ndarray  # (S,)
    values: np.ndarray  # (S, L + K) settled figures, -1 where missing or disputed
    copy_lists: list[list[int]]
    #: (station index, line, choice id, [{"copy", "value"}], resolved value, by, reason, at)
    conflict_rows: list[tuple]
    summary: ReconcileSummary

    def row(self, i: int) -> dict[str, Any]:
        """Station ``i`` as its `StationResult` stores it (status, copies, the JSON maps)."""
        n_lines = len(self.line_codes)
        return {
            "status": str(self.status[i]),
            "copies_count": int(self.copies_count[i]),
            "lines": json.loads(_json_maps(self.line_codes, self.values[i : i + 1, :n_lines])[0]),
            "votes": json.loads(_json_maps(self.choice_ids, self.values[i : i + 1, n_lines:])[0]),
            "copy_ids": list(self.copy_lists[i]),
        }


def derive(contest: Contest, figures: CopyFigures, kept: dict) -> Derived:
    """Reconcile copies into station results (pure arithmetic on the loaded arrays): which copies
    take part, the settled figures, each station's status, and the disputed figures with the
    moderators' earlier resolutions (``kept``, see `previous_resolutions`) applied where the copies'
    values are the same. `reconcile` writes it; `evidence.ledger.verify` re-derives it to check
    the stored results."""
    summary = ReconcileSummary(copies=figures.size)
    used = figures.subset(taking_part(figures))
    summary.copies_used = used.size
    rec = engine.reconcile(used.station_id, used.lines, used.votes, copy_key=used.copy_id)
    s_count = rec.n_stations
    values = rec.values.copy()
    senders = engine.distinct_per_station(rec.station, used.station_id, used.sender)
    accepted_copy = used.moderation == ProtocolCopy.Moderation.ACCEPTED
    decided = np.zeros(s_count, bool)
    if s_count:
        decided[np.searchsorted(rec.station, np.unique(used.station_id[accepted_copy]))] = True

    line_codes, choice_ids = used.line_codes, used.choice_ids
    conflict_rows = []
    open_count = np.zeros(s_count, np.int64)
    for cell in engine.conflict_cells(rec, used.lines, used.votes):
        station_id = int(rec.station[cell.station_index])
        line, choice_id = _column_key(cell.column, line_codes, choice_ids)
        copy_values = [
            {"copy": int(used.copy_id[row]), "value": v}
            for row, v in zip(cell.copy_rows, cell.values, strict=True)
        ]
        previous = kept.get((station_id, line, choice_id))
        resolution = (None, None, "", None)
        if previous is not None and previous[0] == copy_values:
            resolution = previous[1:]
            values[cell.station_index, cell.column] = previous[1]
            summary.resolutions_kept += 1
        else:
            open_count[cell.station_index] += 1
        conflict_rows.append((cell.station_index, line, choice_id, copy_values, *resolution))

    status = np.full(s_count, Status.SINGLE.value, dtype=object)
    status[senders >= 2] = Status.AGREED.value
    if auto_accepts_valid(contest.election):
        status[senders == 1] = Status.CHECKED.value
    status[decided | (rec.has_conflict & (open_count == 0))] = Status.RESOLVED.value
    status[open_count > 0] = Status.CONFLICT.value

    copy_lists: list[list[int]] = []
    if s_count:
        copy_ids = used.copy_id[rec.order].tolist()  # by station, then id
        bounds = rec.start.tolist()
        copy_lists = [copy_ids[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    summary.stations = s_count
    summary.conflicts = len(conflict_rows)
    for name in ("agreed", "single", "conflict", "resolved", "checked"):
        setattr(summary, name, int((status == name).sum()))
    return Derived(
        line_codes=list(line_codes),
        choice_ids=list(choice_ids),
        station_id=rec.station,
        status=status,
        copies_count=rec.copies_count,
        values=values,
        copy_lists=copy_lists,
        conflict_rows=conflict_rows,
        summary=summary,
    )


@transaction.atomic
def reconcile(
    contest: Contest,
    stations: Sequence[int] | None = None,
    figures: CopyFigures | None = None,
) -> tuple[ReconcileSummary, Observed]:
    """Rebuild the observed results of ``contest`` (all stations, or those given) from its copies.

    Returns the summary and the rebuilt results as arrays (of the stations given, or all).
    """
    if stations is not None:
        stations = sorted({int(s) for s in stations})
    if figures is None:
        figures = load_copy_figures(contest, stations)
    kept = previous_resolutions(contest, stations)
    if stations is None:
        _delete_results(contest, None)
    else:
        for chunk in _chunks(stations):
            _delete_results(contest, chunk)

    d = derive(contest, figures, kept)
    s_count = d.station_id.size
    line_codes, choice_ids, values = d.line_codes, d.choice_ids, d.values
    n_lines = len(line_codes)
    connection = connections[router.db_for_write(StationResult)]
    now = StationResult._meta.get_field("updated_at").get_db_prep_save(timezone.now(), connection)
    if s_count:
        bulk_insert(
            StationResult,
            [
                "contest",
                "station",
                "status",
                "copies_count",
                "lines",
                "votes",
                "copy_ids",
                "updated_at",
            ],
            zip(
                [contest.pk] * s_count,
                d.station_id.tolist(),
                d.status.tolist(),
                d.copies_count.tolist(),
                _json_maps(line_codes, values[:, :n_lines]),
                _json_maps(choice_ids, values[:, n_lines:]),
                [json.dumps(ids) for ids in d.copy_lists],
                [now] * s_count,
                strict=True,
            ),
            raw=("lines", "votes", "copy_ids", "updated_at"),
        )
    if d.conflict_rows:
        result_of = dict(
            fetch_all(
                StationResult.objects.filter(
                    contest=contest,
                    station_id__in=[int(d.station_id[r[0]]) for r in d.conflict_rows],
                ).values_list("station_id", "id")
            )
        )
        Conflict.objects.bulk_create(
            [
                Conflict(
                    result_id=result_of[int(d.station_id[s])],
                    line=line,
                    choice_id=choice_id,
                    values=copy_values,
                    resolved_value=value,
                    resolved_by_id=by,
                    resolution_reason=reason,
                    resolved_at=at,
                )
                for s, line, choice_id, copy_values, value, by, reason, at in d.conflict_rows
            ],
            batch_size=1000,
        )
    observed = Observed(
        line_codes=list(line_codes),
        choice_ids=list(choice_ids),
        station_id=d.station_id,
        status=d.status,
        lines=values[:, :n_lines],
        votes=values[:, n_lines:],
        copy_ids=d.copy_lists,
    )
    return d.summary, observed


def check_results(contest: Contest, skip: set[int] = frozenset()) -> list[tuple[int, str, str]]:
    """Re-derive the contest's station results from its copies (`derive`) and compare them with
    the stored rows: ``(station id, code, what differs)`` for each stored result that is not what
    the copies give (``result_changed``), missing (``result_missing``) or founded on no copy
    (``result_unfounded``). Stations in ``skip`` (waiting for a recount) are left out."""
    derived = derive(contest, load_copy_figures(contest), previous_resolutions(contest))
    expected = {int(s): i for i, s in enumerate(derived.station_id.tolist())}
    stored = {
        row[0]: {
            "status": row[1],
            "copies_count": row[2],
            "lines": _as_json(row[3], {}),
            "votes": _as_json(row[4], {}),
            "copy_ids": _as_json(row[5], []),
        }
        for row in StationResult.objects.filter(contest=contest).values_list(
            "station_id", "status", "copies_count", "lines", "votes", "copy_ids"
        )
    }
    found = []
    for station in sorted(set(expected) | set(stored)):
        if station in skip:
            continue
        if station not in stored:
            found.append((station, "result_missing", "its copies give a result that is not stored"))
        elif station not in expected:
            found.append((station, "result_unfounded", "no copy taking part gives this result"))
        else:
            want, have = derived.row(expected[station]), stored[station]
            changed = sorted(k for k in want if want[k] != have[k])
            if changed:
                found.append((station, "result_changed", ", ".join(changed)))
    return found


def _as_json(value: Any, empty: Any) -> Any:
    if isinstance(value, str | bytes):
        return json.loads(value)
    return empty if value is None else value


def load_observed(contest: Contest) -> Observed:
    """The stored observed results of ``contest`` (one query)."""
    line_codes = contest_line_codes(contest)
    choice_ids = contest_choice_ids(contest)
    rows = fetch_all(
        StationResult.objects.filter(contest=contest)
        .order_by("station_id")
        .values_list("station_id", "status", "lines", "votes", "copy_ids")
    )
    n = len(rows)
    lines = np.full((n, len(line_codes)), MISSING, np.int64)
    votes = np.full((n, len(choice_ids)), MISSING, np.int64)
    line_at = {code: j for j, code in enumerate(line_codes)}
    choice_at = {str(cid): j for j, cid in enumerate(choice_ids)}
    copy_lists = []
    for i, row in enumerate(rows):
        for out, at, stored in ((lines, line_at, row[2]), (votes, choice_at, row[3])):
            data = json.loads(stored) if isinstance(stored, str | bytes) else stored or {}
            for key, value in data.items():
                j = at.get(key)
                if j is not None and value is not None:
                    out[i, j] = value
        ids = row[4]
        copy_lists.append(json.loads(ids) if isinstance(ids, str | bytes) else list(ids or []))
    return Observed(
        line_codes=line_codes,
        choice_ids=choice_ids,
        station_id=np.fromiter((r[0] for r in rows), np.int64, n),
        status=np.array([r[1] for r in rows], dtype=object),
        lines=lines,
        votes=votes,
        copy_ids=copy_lists,
    )
