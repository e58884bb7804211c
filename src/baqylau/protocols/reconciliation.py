"""Reconciling the protocol copies of each station into its observed result (database side).

The comparison itself is the pure function `baqylau.tally.engine.reconcile`; this module loads
the copies' figures with a few aggregate queries into numpy arrays, runs it, and writes
`StationResult` rows (the settled figures as JSON maps on the row itself) and `Conflict` rows in
bulk (with the ids of the copies taking part), in one set-based statement.

* `validate_copies(contest)` — every copy of a contest through the vectorised protocol engine.
* `reconcile_contest(contest)` — all stations at once (set-based; used by `tally.recount`).
* `reconcile_station(contest, station)` — one station (incremental, after a new copy or decision).
* `resolve_conflict(conflict, value, reason, user)` — a moderator's decision on one figure.

A moderator's resolutions survive a re-run as long as the disputed figure and the copies' values
are the same; they are never silently discarded by a recount.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connections, router, transaction
from django.db.models import Max, Q
from django.utils import timezone

from baqylau.elections.models import AdminUnit, Choice, Contest
from baqylau.protocols.models import (
    Conflict,
    CopyLine,
    CopyVote,
    ProtocolCopy,
    StationResult,
)
from baqylau.tally import engine

# ---------------------------------------------------------------------------------------------
# Fast bulk writes

#: Fields whose Python values the database drivers take as they are.
_PLAIN_TYPES = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "ForeignKey",
    "CharField",
    "SlugField",
    "TextField",
    "FloatField",
    "BooleanField",
}


def bulk_insert(
    model: type,
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    raw: Sequence[str] = (),
) -> None:
    """Insert many rows of plain values into ``model``'s table, without building model objects.

    The large derived tables (hundreds of thousands of result lines) are written this way:
    ``COPY`` on PostgreSQL, one prepared ``executemany`` elsewhere — 5-10× faster than
    ``bulk_create``. No signals are sent and nothing is returned. Values of fields that need it
    (JSON, UUID, date-times, ...) go through the field's own database preparation, so they are
    stored exactly as the ORM stores them; a value repeated row after row is prepared once.
    Fields named in ``raw`` are passed as they are (e.g. JSON already serialised to text).
    """
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    field_objs = [opts.get_field(name) for name in fields]
    prep = [
        None if f.get_internal_type() in _PLAIN_TYPES or name in raw else f
        for name, f in zip(fields, field_objs, strict=True)
    ]
    if any(p is not None for p in prep):
        rows = _prepared(rows, prep, connection)
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    columns = ", ".join(quote(f.column) for f in field_objs)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                block: list[str] = []
                for row in rows:
                    block.append("\t".join(map(_copy_text, row)))
                    if len(block) >= 20_000:
                        copy.write("\n".join(block) + "\n")
                        block = []
                if block:
                    copy.write("\n".join(block) + "\n")
        else:
            marks = ", ".join(["%s"] * len(field_objs))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, int | float):
        return str(value)
    if hasattr(value, "obj") and hasattr(value, "dumps"):  # psycopg's Json / Jsonb wrappers
        value = (value.dumps or json.dumps)(value.obj)
    return str(value).translate(_COPY_ESCAPES)


def _prepared(rows: Iterable[Sequence[Any]], prep: list, connection) -> Iterator[list[Any]]:
    last: list[tuple[Any, Any]] = [(object(), None)] * len(prep)
    for row in rows:
        out = list(row)
        for j, f in enumerate(prep):
            value = out[j]
            if f is None or value is None:
                continue
            if last[j][0] is value:
                out[j] = last[j][1]
            else:
                out[j] = f.get_db_prep_save(value, connection)
                last[j] = (value, out[j])
        yield out


def _execute(model: type, sql: str, params: Sequence[Any]) -> None:
    with connections[router.db_for_write(model)].cursor() as cursor:
        cursor.execute(sql, params)


def fetch_ints(connection, sql: str, params: Sequence[Any], width: int) -> np.ndarray:
    """The rows of a query of ``width`` integer columns named c0, c1, ... (no NULLs) as an
    (n, width) array.

    Hundreds of thousands of rows travel as one text value parsed by numpy, never as Python
    tuples: one ``string_agg`` on PostgreSQL, one ``group_concat`` on SQLite.
    """
    if connection.vendor in ("postgresql", "sqlite"):
        row = " || ',' || ".join(f"CAST(c{j} AS TEXT)" for j in range(width))
        concat = "string_agg({}, ',')" if connection.vendor == "postgresql" else "group_concat({})"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {concat.format(row)} FROM ({sql}) AS q", params)
            text = cursor.fetchone()[0] or ""
    else:  # pragma: no cover - other databases: plain rows
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, width)
    if not text:
        return np.zeros((0, width), np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",").reshape(-1, width)


def read_matrix(
    model: type,
    key: str,
    column: str,
    value: str,
    columns: Sequence[Any],
    keys: np.ndarray,
) -> np.ndarray:
    """(len(keys), len(columns)) figures of a long table (key, column, value), -1 where missing.

    ``keys`` is sorted; rows with other keys or columns are ignored. One query over the range of
    ``keys``, read straight into numpy: each row travels as one packed integer
    ``((key - first key) << bits | column index) << 32 | value`` (values are 32-bit), which the
    database turns into text several times faster than three separate numbers.
    """
    out = np.full((keys.size, len(columns)), engine.MISSING, np.int64)
    if not columns or not keys.size:
        return out
    connection = connections[router.db_for_read(model)]
    quote = connection.ops.quote_name
    first, last = int(keys[0]), int(keys[-1])
    bits = len(columns).bit_length()  # column indices 0..len(columns), the last = unknown
    whens = " ".join(["WHEN %s THEN " + str(j) for j in range(len(columns))])
    case = f"CASE {quote(column)} {whens} ELSE {len(columns)} END"
    table, k, v = quote(model._meta.db_table), quote(key), quote(value)
    where = f"{k} BETWEEN %s AND %s"
    if (last - first + 1) << (bits + 32) < 2**62:
        sql = f"SELECT (({k} - %s) * {1 << bits} + {case}) * 4294967296 + {v} AS c0 "
        packed = fetch_ints(
            connection,
            f"{sql} FROM {table} WHERE {where}",
            [first, *columns, first, last],
            1,
        )[:, 0]
        high = packed >> 32
        data = np.stack([first + (high >> bits), high & ((1 << bits) - 1), packed & 0xFFFFFFFF], 1)
    else:  # a range of keys too wide to pack: three numbers a row
        sql = f"SELECT {k} AS c0, {case} AS c1, {v} AS c2 FROM {table} WHERE {where}"
        data = fetch_ints(connection, sql, [*columns, first, last], 3)
    data = data[data[:, 1] < len(columns)]
    at = np.searchsorted(keys, data[:, 0])
    ok = (at < keys.size) & (keys[np.minimum(at, keys.size - 1)] == data[:, 0])
    out[at[ok], data[ok, 1]] = data[ok, 2]
    return out


# ---------------------------------------------------------------------------------------------
# Loading figures


def pivot(qs, key: str, column_field: str, value_field: str, columns: Sequence[Any]):
    """(keys, matrix): one row per distinct ``key``, one column per value of ``column_field``.

    One aggregate query (``MAX(value) FILTER (WHERE column = ...)`` per column); missing = -1.
    """
    if not columns:
        keys = np.fromiter(qs.values_list(key, flat=True).distinct().order_by(key), np.int64)
        return keys, np.zeros((keys.size, 0), np.int64)
    names = {
        f"c{j}": Max(value_field, filter=Q(**{column_field: col})) for j, col in enumerate(columns)
    }
    query = qs.values(key).annotate(**names).order_by(key).values_list(key, *names)
    rows = fetch_all(query)
    if not rows:
        return np.zeros(0, np.int64), np.zeros((0, len(columns)), np.int64)
    data = np.array(rows, dtype=np.float64)  # None -> NaN
    data = np.where(np.isnan(data), engine.MISSING, data).astype(np.int64)
    return data[:, 0], data[:, 1:]


def fetch_all(qs) -> list[tuple]:
    """Run a values_list queryset of plain numbers straight on the cursor (no per-row
    converters: several times faster for hundreds of thousands of rows)."""
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def contest_form(contest: Contest):
    """The contest's protocol form (None when the form engine does not know it)."""
    from baqylau.protocols.engine import load_form

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
    """Every copy of a contest (or of one station) as arrays."""

    line_codes: list[str]
    choice_ids: list[int]
    copy_id: np.ndarray  # (C,)
    station_id: np.ndarray  # (C,)
    validation: np.ndarray  # (C,) str
    moderation: np.ndarray  # (C,) str
    lines: np.ndarray  # (C, L) -1 missing
    votes: np.ndarray  # (C, K) -1 missing
    pages: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def size(self) -> int:
        return int(self.copy_id.size)

    def subset(self, mask: np.ndarray) -> CopyFigures:
        return CopyFigures(
            self.line_codes,
            self.choice_ids,
            self.copy_id[mask],
            self.station_id[mask],
            self.validation[mask],
            self.moderation[mask],
            self.lines[mask],
            self.votes[mask],
            self.pages[mask] if self.pages.size else self.pages,
        )


def load_copy_figures(contest: Contest, station: AdminUnit | None = None) -> CopyFigures:
    """Three queries: the copies, their lines, their votes — read straight into numpy."""
    line_codes = contest_line_codes(contest)
    choice_ids = contest_choice_ids(contest)
    copies = ProtocolCopy.objects.filter(contest=contest)
    if station is not None:
        copies = copies.filter(station=station)
    rows = fetch_all(
        copies.order_by("id").values_list(
            "id", "station_id", "validation", "moderation", "pages_received"
        )
    )
    c = len(rows)
    copy_id = np.fromiter((r[0] for r in rows), np.int64, c)
    station_id = np.fromiter((r[1] for r in rows), np.int64, c)
    validation = np.array([r[2] for r in rows], dtype=object)
    moderation = np.array([r[3] for r in rows], dtype=object)
    pages = np.fromiter((r[4] for r in rows), np.int64, c)
    lines = read_matrix(CopyLine, "copy_id", "line", "value", line_codes, copy_id)
    votes = read_matrix(CopyVote, "copy_id", "choice_id", "votes", choice_ids, copy_id)
    return CopyFigures(
        line_codes,
        choice_ids,
        copy_id,
        station_id,
        validation,
        moderation,
        lines,
        votes,
        pages,
    )


# ---------------------------------------------------------------------------------------------
# Validation


def validate_copies(
    contest: Contest, policy: Any = None, figures: CopyFigures | None = None
) -> dict[str, int]:
    """Run every copy of ``contest`` through the vectorised engine; store status and findings.

    Returns the number of copies per status. Without a known form nothing is changed.
    """
    form = contest_form(contest)
    if form is None:
        return {}
    if policy is None:
        from baqylau.protocols.policies import validation_policy

        policy = validation_policy(contest.election, form)
    figures = figures if figures is not None else load_copy_figures(contest)
    if not figures.size:
        return {}
    status, findings = validate_figures(form, figures, policy)
    counts = {str(k): int(v) for k, v in zip(*np.unique(status, return_counts=True), strict=True)}
    # write only what changed, and the findings of every copy that is not accepted
    changed = (status != figures.validation) | (status != ProtocolCopy.Validation.ACCEPTED)
    # one UPDATE per distinct (status, findings), in chunks of ids
    groups: dict[str, tuple[str, list, list[int]]] = {}
    for i in np.flatnonzero(changed).tolist():
        found = findings.get(i, [])
        key = f"{status[i]}|{json.dumps(found, sort_keys=True)}"
        groups.setdefault(key, (str(status[i]), found, []))[2].append(int(figures.copy_id[i]))
    with transaction.atomic():
        for value, found, ids in groups.values():
            for start in range(0, len(ids), 900):
                ProtocolCopy.objects.filter(pk__in=ids[start : start + 900]).update(
                    validation=value, findings=found
                )
    figures.validation = status.astype(object)
    return counts


def validate_figures(form, figures: CopyFigures, policy: Any = None):
    """(status per copy, findings per copy: a list of {code, severity} for non-accepted ones)."""
    from baqylau.protocols.engine import validate_arrays

    lines = {
        code: np.ma.masked_less(figures.lines[:, j], 0)
        for j, code in enumerate(figures.line_codes)
        if code in form.line_codes
    }
    votes = np.ma.masked_less(figures.votes, 0)
    context = {"pages_received": figures.pages} if figures.pages.size else None
    bulk = validate_arrays(form, lines, votes, policy, context=context)
    status = np.asarray(bulk.status(), dtype=object)
    findings: dict[int, list[dict[str, str]]] = {}
    flagged = np.flatnonzero(status != "accepted")
    if flagged.size:
        masks = [(rid, m.severity, m.violated) for rid, m in bulk.relations.items()]
        masks += [(code, sev, mask) for code, (sev, mask) in bulk.checks.items()]
        for i in flagged.tolist():
            findings[i] = [
                {"code": code, "severity": str(getattr(sev, "value", sev))}
                for code, sev, mask in masks
                if mask[i]
            ]
    return status, findings


# ---------------------------------------------------------------------------------------------
# Which copies take part


class Participation(enum.StrEnum):
    #: Accepted by a moderator, or passing every check and not rejected by a moderator (default).
    VALID = "valid"
    #: Only copies a moderator accepted.
    MODERATED = "moderated"
    #: VALID when the election's policy auto-accepts copies that add up, otherwise MODERATED.
    POLICY = "policy"


def participating(
    figures: CopyFigures, participation: Participation, contest: Contest
) -> np.ndarray:
    accepted = figures.moderation == ProtocolCopy.Moderation.ACCEPTED
    rule = Participation(participation)
    if rule is Participation.POLICY:
        from baqylau.protocols.policies import auto_accepts_valid

        auto = auto_accepts_valid(contest.election)
        rule = Participation.VALID if auto else Participation.MODERATED
    if rule is Participation.MODERATED:
        return accepted
    valid = (figures.validation == ProtocolCopy.Validation.ACCEPTED) & (
        figures.moderation != ProtocolCopy.Moderation.REJECTED
    )
    return accepted | valid


# ---------------------------------------------------------------------------------------------
# Reconciliation


@dataclass
class Observed:
    """The observed station results of a contest as arrays (one row per station result)."""

    line_codes: list[str]
    choice_ids: list[int]
    result_id: np.ndarray  # (S,)
    station_id: np.ndarray  # (S,)
    status: np.ndarray  # (S,) str
    lines: np.ndarray  # (S, L) settled figures, -1 where missing or still disputed
    votes: np.ndarray  # (S, K)

    @property
    def settled(self) -> np.ndarray:
        """Stations whose result is complete: copies agree, or a moderator resolved every dispute."""
        return self.status != StationResult.Status.CONFLICT


@dataclass
class ReconcileSummary:
    copies: int = 0
    copies_used: int = 0
    stations: int = 0
    agreed: int = 0
    conflict: int = 0
    resolved: int = 0
    conflicts: int = 0
    resolutions_kept: int = 0


def _column_key(
    j: int, line_codes: Sequence[str], choice_ids: Sequence[int]
) -> tuple[str, int | None]:
    n_lines = len(line_codes)
    return (line_codes[j], None) if j < n_lines else ("", int(choice_ids[j - n_lines]))


def _previous_resolutions(contest: Contest, station: AdminUnit | None):
    qs = Conflict.objects.filter(result__contest=contest, resolved_value__isnull=False)
    if station is not None:
        qs = qs.filter(result__station=station)
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


def _delete_results(contest: Contest, station: AdminUnit | None) -> None:
    """Delete derived rows leaf first, each in one statement (no objects loaded)."""
    where = "result_id IN (SELECT id FROM {r} WHERE contest_id = %s{extra})"
    extra = " AND station_id = %s" if station is not None else ""
    params = [contest.pk] + ([station.pk] if station is not None else [])
    r = StationResult._meta.db_table
    _execute(
        Conflict,
        f"DELETE FROM {Conflict._meta.db_table} WHERE " + where.format(r=r, extra=extra),
        params,
    )
    _execute(StationResult, f"DELETE FROM {r} WHERE contest_id = %s{extra}", params)


def _json_maps(keys: Sequence[Any], values: np.ndarray) -> list[str]:
    """One JSON object per row of ``values`` (key → value, the missing -1 left out), as text."""
    if not values.size:
        return ["{}"] * values.shape[0]
    heads = [json.dumps(str(k)) + ": " for k in keys]
    full = "{" + ", ".join(h + "%d" for h in heads) + "}"
    complete = (values >= 0).all(axis=1).tolist()
    return [
        full % tuple(row)
        if whole
        else "{" + ", ".join([h + str(v) for h, v in zip(heads, row, strict=True) if v >= 0]) + "}"
        for row, whole in zip(values.tolist(), complete, strict=True)
    ]


@transaction.atomic
def reconcile(
    contest: Contest,
    station: AdminUnit | None = None,
    participation: Participation | str = Participation.VALID,
    figures: CopyFigures | None = None,
) -> tuple[ReconcileSummary, Observed]:
    """Rebuild the observed results of ``contest`` (all stations, or one) from its copies."""
    figures = figures if figures is not None else load_copy_figures(contest, station)
    summary = ReconcileSummary(copies=figures.size)
    use = participating(figures, Participation(participation), contest)
    used = figures.subset(use)
    summary.copies_used = used.size
    kept = _previous_resolutions(contest, station)
    _delete_results(contest, station)

    rec = engine.reconcile(used.station_id, used.lines, used.votes, copy_key=used.copy_id)
    s_count = rec.n_stations
    values = rec.values.copy()
    status = np.where(rec.has_conflict, StationResult.Status.CONFLICT, StationResult.Status.AGREED)
    status = status.astype(object)

    # conflicts, with moderators' earlier resolutions carried over where nothing changed
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
    resolved = rec.has_conflict & (open_count == 0)
    status[resolved] = StationResult.Status.RESOLVED

    n_lines = len(line_codes)
    connection = connections[router.db_for_write(StationResult)]
    now = StationResult._meta.get_field("updated_at").get_db_prep_save(timezone.now(), connection)
    if s_count:
        lines_json = _json_maps(line_codes, values[:, :n_lines])
        votes_json = _json_maps(choice_ids, values[:, n_lines:])
        copy_ids = used.copy_id[rec.order].tolist()  # by station, then id
        bounds = rec.start.tolist()
        copies_json = [
            "[" + ", ".join(map(str, copy_ids[a:b])) + "]"
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
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
                rec.station.tolist(),
                status.tolist(),
                rec.copies_count.tolist(),
                lines_json,
                votes_json,
                copies_json,
                [now] * s_count,
                strict=True,
            ),
            raw=("lines", "votes", "copy_ids", "updated_at"),
        )
    result_of = StationResult.objects.filter(contest=contest)
    if station is not None:
        result_of = result_of.filter(station=station)
    id_rows = np.array(fetch_all(result_of.values_list("station_id", "id")), dtype=np.int64)
    id_rows = id_rows.reshape(-1, 2)
    id_rows = id_rows[np.argsort(id_rows[:, 0])]
    result_id = (
        id_rows[np.searchsorted(id_rows[:, 0], rec.station), 1] if s_count else id_rows[:, 1]
    )

    Conflict.objects.bulk_create(
        [
            Conflict(
                result_id=int(result_id[s]),
                line=line,
                choice_id=choice_id,
                values=copy_values,
                resolved_value=value,
                resolved_by_id=by,
                resolution_reason=reason,
                resolved_at=at,
            )
            for s, line, choice_id, copy_values, value, by, reason, at in conflict_rows
        ],
        batch_size=1000,
    )
    summary.stations = s_count
    summary.conflicts = len(conflict_rows)
    for name in ("agreed", "conflict", "resolved"):
        setattr(summary, name, int((status == name).sum()))
    observed = Observed(
        line_codes=list(line_codes),
        choice_ids=list(choice_ids),
        result_id=result_id,
        station_id=rec.station,
        status=status,
        lines=values[:, :n_lines],
        votes=values[:, n_lines:],
    )
    return summary, observed


def reconcile_contest(
    contest: Contest, participation: Participation | str = Participation.VALID
) -> ReconcileSummary:
    """Reconcile every station of ``contest`` (bulk, set-based)."""
    return reconcile(contest, participation=participation)[0]


def reconcile_station(
    contest: Contest,
    station: AdminUnit,
    participation: Participation | str = Participation.VALID,
) -> StationResult | None:
    """Reconcile one station's copies; returns its result (None when no copy takes part)."""
    reconcile(contest, station=station, participation=participation)
    return StationResult.objects.filter(contest=contest, station=station).first()


def load_observed(contest: Contest) -> Observed:
    """The stored observed results of ``contest`` (one query for the results)."""
    line_codes = contest_line_codes(contest)
    choice_ids = contest_choice_ids(contest)
    rows = fetch_all(
        StationResult.objects.filter(contest=contest)
        .order_by("id")
        .values_list("id", "station_id", "status", "lines", "votes")
    )
    n = len(rows)
    lines = np.full((n, len(line_codes)), engine.MISSING, np.int64)
    votes = np.full((n, len(choice_ids)), engine.MISSING, np.int64)
    line_at = {code: j for j, code in enumerate(line_codes)}
    choice_at = {str(cid): j for j, cid in enumerate(choice_ids)}
    for i, row in enumerate(rows):
        for out, at, stored in ((lines, line_at, row[3]), (votes, choice_at, row[4])):
            data = json.loads(stored) if isinstance(stored, str | bytes) else stored or {}
            for key, value in data.items():
                j = at.get(key)
                if j is not None and value is not None:
                    out[i, j] = value
    return Observed(
        line_codes=line_codes,
        choice_ids=choice_ids,
        result_id=np.fromiter((r[0] for r in rows), np.int64, n),
        station_id=np.fromiter((r[1] for r in rows), np.int64, n),
        status=np.array([r[2] for r in rows], dtype=object),
        lines=lines,
        votes=votes,
    )


# ---------------------------------------------------------------------------------------------
# Moderators' decisions


@transaction.atomic
def resolve_conflict(conflict: Conflict, value: int, reason: str, user) -> StationResult:
    """A moderator sets the figure of a disputed line or choice; the station becomes resolved
    when no open conflict remains. The copies and their values stay as they were."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("the chosen value must be a non-negative integer")
    if not (reason or "").strip():
        raise ValueError("a resolution needs a reason")
    conflict = Conflict.objects.select_for_update().get(pk=conflict.pk)
    conflict.resolved_value = value
    conflict.resolved_by = user
    conflict.resolution_reason = reason.strip()
    conflict.resolved_at = timezone.now()
    conflict.save(
        update_fields=["resolved_value", "resolved_by", "resolution_reason", "resolved_at"]
    )
    result = StationResult.objects.select_for_update().get(pk=conflict.result_id)
    if conflict.choice_id is not None:
        result.votes = {**(result.votes or {}), str(conflict.choice_id): value}
    else:
        result.lines = {**(result.lines or {}), conflict.line: value}
    fields = ["lines", "votes", "updated_at"]
    if not result.conflicts.filter(resolved_value__isnull=True).exists():
        result.status = StationResult.Status.RESOLVED
        fields.append("status")
    result.save(update_fields=fields)
    return result


__all__ = [
    "CopyFigures",
    "Observed",
    "Participation",
    "ReconcileSummary",
    "bulk_insert",
    "fetch_ints",
    "load_copy_figures",
    "load_observed",
    "participating",
    "pivot",
    "read_matrix",
    "reconcile",
    "reconcile_contest",
    "reconcile_station",
    "resolve_conflict",
    "validate_copies",
    "validate_figures",
]
