"""One generic, mapping-driven importer of official result tables.

Two passes over a streamed file:

1. **validate** every row (encoding, header, codes, duplicates, unknown units, figures) and collect
   every problem as (file, line, column, reason); nothing is written if there is any;
2. **write** in one transaction, in batches, with upsert semantics, so re-running the same file
   creates and updates nothing. Every successful run is recorded as an `ImportRun` (with SHA-256).

Use `run_import(path, mapping)`; mappings are loaded with `load_mapping` (see `mapping.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .mapping import Mapping, MappingError, load_mapping, mapping_from_dict, shipped_mappings
from .readers import ReaderError, file_sha256, open_table
from .validation import ParsedRow, Problem, RowParser
from .writer import Counts, Writer, chunked, in_chunk_size

__all__ = [
    "ImportReport",
    "Mapping",
    "MappingError",
    "Problem",
    "load_mapping",
    "mapping_from_dict",
    "run_import",
    "shipped_mappings",
    "validate_file",
]

Progress = Callable[[str, int, int | None], None]  # phase ("validate"/"write"), done, total


@dataclass
class ImportReport:
    file: str
    sha256: str = ""
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    problems_total: int = 0  # may exceed len(problems) when capped
    counts: Counts = field(default_factory=Counts)
    seconds: float = 0.0
    import_run_id: int | None = None
    election_code: str = ""

    @property
    def ok(self) -> bool:
        return self.problems_total == 0

    @property
    def changed(self) -> bool:
        return bool(self.counts.created or self.counts.updated)

    def summary(self) -> str:
        c = self.counts
        return (
            f"{self.rows:,} rows: {c.created:,} created, {c.updated:,} updated "
            f"(units {c.units_created:,}+{c.units_updated:,}, results {c.results_created:,}, "
            f"figures {c.figures_created:,}+{c.figures_updated:,}-{c.figures_deleted:,})"
        )


class _Collector:
    def __init__(self, limit: int | None) -> None:
        self.items: list[Problem] = []
        self.total = 0
        self.limit = limit

    def add(self, problem: Problem) -> None:
        self.total += 1
        if self.limit is None or len(self.items) < self.limit:
            self.items.append(problem)


def _unknown_units(election_code: str, paths: list[tuple[str, int]]) -> list[tuple[str, int]]:
    from ..models import AdminUnit

    known: set[str] = set()
    keys = [p for p, _ in paths]
    for part in chunked(keys, in_chunk_size()):
        known.update(
            AdminUnit.objects.filter(election__code=election_code, path__in=part).values_list(
                "path", flat=True
            )
        )
    return [(p, line) for p, line in paths if p not in known]


def _missing_targets(mapping: Mapping, choices: list, name: str) -> list[Problem]:
    """Announced totals and crowd counts go to an election, a contest and choices that exist:
    those the mapping names by code and the database lacks."""
    from ..models import Choice, Contest

    code, contest_code = mapping.election["code"], mapping.contest["code"]
    contest = Contest.objects.filter(election__code=code, code=contest_code).first()
    if contest is None:
        return [Problem(name, 0, "", f"no contest {contest_code!r} in election {code!r}")]
    known = set(Choice.objects.filter(contest=contest).values_list("code", flat=True))
    return [
        Problem(name, 1, c.column, f"no choice {c.code!r} in contest {contest_code!r}")
        for c in choices
        if c.code not in known
    ]


def _open(path: Path, mapping: Mapping, on_decode_error=None, name: str | None = None):
    return open_table(
        path,
        name=name,
        fmt=mapping.format,
        encoding=mapping.encoding,
        delimiter=mapping.delimiter,
        member=mapping.member,
        sheet=mapping.sheet,
        on_decode_error=on_decode_error,
    )


def validate_file(
    path: Path,
    mapping: Mapping,
    *,
    display_name: str | None = None,
    progress: Progress | None = None,
    max_problems: int | None = 10_000,
    batch_size: int = 5000,
) -> tuple[int, _Collector]:
    """First pass: read every row, return (row count, problems). Writes nothing."""
    name = display_name or path.name
    problems = _Collector(max_problems)
    rows = 0

    def decode_error(line: int, message: str) -> None:
        problems.add(Problem(name, line, "*", message))

    first_line: dict[str, int] = {}
    pending: list[tuple[str, int]] = []
    code_column = mapping.unit_column or mapping.levels[-1].code

    def check_pending() -> None:
        if mapping.existing_units and pending:
            for unit_path, line in _unknown_units(mapping.election["code"], pending):
                problems.add(
                    Problem(name, line, code_column, f"unknown {mapping.row_kind} {unit_path!r}")
                )
        pending.clear()

    try:
        with _open(path, mapping, decode_error, name) as table:
            header_row = next(table, None)
            if header_row is None:
                problems.add(Problem(name, 1, "*", "empty file: no header row"))
                return 0, problems
            parser = RowParser(mapping, header_row[1], name)
            for problem in parser.problems:
                problems.add(problem)
            missing = (
                _missing_targets(mapping, parser.choices, name)
                if (mapping.crowd is not None or mapping.announced) and parser.ok
                else []
            )
            for problem in missing:
                problems.add(problem)
            if not parser.ok or missing:
                return 0, problems
            for line, cells in table:
                rows += 1
                parsed, bad = parser.parse(line, cells)
                for problem in bad:
                    problems.add(problem)
                if parsed is not None:
                    seen = first_line.get(parsed.path)
                    if seen is not None:
                        problems.add(
                            Problem(
                                name,
                                line,
                                code_column,
                                f"duplicate {mapping.row_kind} {parsed.path!r} (first on line {seen})",
                            )
                        )
                    else:
                        first_line[parsed.path] = line
                        pending.append((parsed.path, line))
                if len(pending) >= batch_size:
                    check_pending()
                if progress is not None and rows % 1000 == 0:
                    progress("validate", rows, None)
            check_pending()
    except ReaderError as exc:
        problems.add(Problem(name, 0, "*", str(exc)))
    if rows == 0 and problems.total == 0:
        problems.add(Problem(name, 2, "*", "no data rows"))
    if progress is not None:
        progress("validate", rows, rows)
    return rows, problems


def run_import(
    path: str | Path,
    mapping: Mapping,
    *,
    existing_units: bool | None = None,
    display_name: str | None = None,
    progress: Progress | None = None,
    batch_size: int = 5000,
    max_problems: int | None = 10_000,
) -> ImportReport:
    """Validate, then (only if the whole file is clean) write it in one transaction."""
    from django.db import transaction

    from ..models import ImportRun

    path = Path(path)
    if existing_units is not None and not mapping.announced:  # announced: units always exist
        mapping.existing_units = existing_units
    name = display_name or path.name
    started = time.monotonic()
    report = ImportReport(file=name, election_code=mapping.election["code"])
    report.sha256 = file_sha256(path)
    rows, problems = validate_file(
        path,
        mapping,
        display_name=name,
        progress=progress,
        max_problems=max_problems,
        batch_size=batch_size,
    )
    report.rows = rows
    report.problems = sorted(problems.items)
    report.problems_total = problems.total
    if not report.ok:
        report.seconds = time.monotonic() - started
        return report

    writer = Writer(mapping, name)
    done = 0
    with transaction.atomic(), _open(path, mapping, name=name) as table:
        header = next(table)[1]
        parser = RowParser(mapping, header, name)
        writer.prepare(parser.choices)
        batch: list[ParsedRow] = []
        for line, cells in table:
            parsed, bad = parser.parse(line, cells)
            if parsed is None:  # the first pass accepted this file; the file changed under us
                raise RuntimeError(f"{name}:{line}: file changed during import: {bad}")
            batch.append(parsed)
            if len(batch) >= batch_size:
                writer.write(batch)
                done += len(batch)
                batch = []
                if progress is not None:
                    progress("write", done, rows)
        writer.write(batch)
        done += len(batch)
        counts = writer.counts
        run = ImportRun.objects.create(
            election=writer.election,
            source_name=name[:500],
            sha256=report.sha256,
            rows=done,
            units_created=counts.units_created,
            units_updated=counts.units_updated,
            results_written=counts.results_created + counts.results_changed
            if mapping.crowd is None
            else counts.figures_created,
        )
        writer.record_in_ledger(run)
        # the count, the comparison and the public pages follow by themselves (a job)
        from baqylau.tally.tasks import recount_election

        recount_election(writer.election.pk)
    if progress is not None:
        progress("write", done, rows)
    report.counts = writer.counts
    report.import_run_id = run.pk
    report.seconds = time.monotonic() - started
    return report
