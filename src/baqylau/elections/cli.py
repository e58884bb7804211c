"""`baqylau import ...`, `baqylau export ...` and `baqylau totals`: official data in and out."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console()
err_console = Console(stderr=True)

import_app = typer.Typer(help="Import official results from a table (CSV, zipped CSV, XLSX).")
export_app = typer.Typer(help="Export open data: stations and official results (CSV or JSON).")


def _setup() -> None:
    from baqylau.cli import setup_django

    setup_django()


def _print_problems(report) -> None:
    if report.problems and all(p.line == 0 for p in report.problems):
        for p in report.problems:  # the file as a whole: not a table, or not the expected kind
            err_console.print(f"[red]{escape(p.reason)}[/red]", highlight=False)
        err_console.print(f"Nothing was written from {report.file}.", highlight=False)
        return
    table = Table(
        title=f"{report.problems_total:,} problem(s) in {report.file}; nothing was written"
    )
    table.add_column("file")
    table.add_column("line", justify="right")
    table.add_column("column")
    table.add_column("reason")
    for p in report.problems:
        table.add_row(p.file, str(p.line), p.column, p.reason)
    err_console.print(table)
    if report.problems_total > len(report.problems):
        err_console.print(f"... and {report.problems_total - len(report.problems):,} more")


def _run(path: Path, mapping, existing_units: bool | None, batch_size: int) -> None:
    from baqylau.elections.importing import run_import

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as bar:
        tasks: dict[str, int] = {}

        def progress(phase: str, done: int, total: int | None) -> None:
            if phase not in tasks:
                label = "validating" if phase == "validate" else "writing"
                tasks[phase] = bar.add_task(f"{label} {path.name}", total=total)
            bar.update(tasks[phase], completed=done, total=total)

        report = run_import(
            path, mapping, existing_units=existing_units, progress=progress, batch_size=batch_size
        )
    if not report.ok:
        _print_problems(report)
        raise typer.Exit(1)
    console.print(
        f"[green]Imported[/green] {report.file} into election [bold]{report.election_code}[/bold]: "
        f"{report.summary()} in {report.seconds:.1f} s (sha256 {report.sha256[:12]}…)"
    )
    _refresh_public_totals(report.election_code)


def _refresh_public_totals(election_code: str) -> None:
    """The import queued the recount and the public figures (background jobs); run them now,
    so the command ends with the pages up to date even when no worker is running."""
    from baqylau.jobs.worker import run_until_idle

    with console.status("Recounting and recomputing the public figures…"):
        run_until_idle()


def _load(mapping_path: str):
    from baqylau.elections.importing import MappingError, load_mapping

    try:
        return load_mapping(mapping_path)
    except MappingError as exc:
        err_console.print(f"[red]Bad mapping:[/red] {exc}")
        raise typer.Exit(2) from exc


def _check_file(path: Path) -> None:
    if not path.is_file():
        err_console.print(f"[red]No such file:[/red] {path}")
        raise typer.Exit(2)


EXISTING = typer.Option(
    None,
    "--existing-units/--create-units",
    help="Results for units that must already exist (unknown ones are errors); "
    "default: as the mapping says (create units).",
)
BATCH = typer.Option(5000, help="Rows written per batch.")


@import_app.command("table")
def import_table(
    file: Annotated[Path, typer.Argument(help="CSV, CSV inside .zip, or XLSX file.")],
    mapping: str = typer.Option(
        ..., "--mapping", "-m", help="Mapping YAML, or the name of a shipped mapping (ru2018)."
    ),
    existing_units: bool | None = EXISTING,
    batch_size: int = BATCH,
) -> None:
    """Import any table with a mapping (YAML). Nothing is written unless every row is valid."""
    _setup()
    _check_file(file)
    _run(file, _load(mapping), existing_units, batch_size)


@import_app.command("russia")
def import_russia(
    file: Annotated[Path, typer.Argument(help="A Russian CEC file such as ru2018.csv.zip.")],
    existing_units: bool | None = EXISTING,
    batch_size: int = BATCH,
) -> None:
    """Import a Russian UIK protocol file; the shipped mapping is chosen from the year in its name."""
    _setup()
    _check_file(file)
    from baqylau.elections.importing import shipped_mappings

    match = re.search(r"(20\d\d)", file.name)
    name = f"ru{match.group(1)}" if match else ""
    if name not in shipped_mappings():
        known = ", ".join(m for m in shipped_mappings() if m.startswith("ru"))
        err_console.print(f"[red]No shipped mapping for {file.name}[/red] (known: {known})")
        raise typer.Exit(2)
    _run(file, _load(name), existing_units, batch_size)


@import_app.command("kz2019")
def import_kz2019(
    file: Annotated[Path, typer.Argument(help="kz2019_president_official_regions.csv")],
) -> None:
    """Import the official 2019 Kazakh presidential result by region."""
    _setup()
    _check_file(file)
    _run(file, _load("kz2019_regions"), None, 5000)


def _election(code: str):
    from baqylau.elections.models import Election

    election = Election.objects.filter(code=code).first()
    if election is None:
        err_console.print(f"[red]No election {code!r}[/red]")
        raise typer.Exit(2)
    return election


FORMAT = typer.Option("csv", "--format", "-f", help="csv or json.")
OUT = typer.Option(None, "--out", "-o", help="Output file (default: standard output).")


def _open_out(out: Path | None):
    if out is None:
        return sys.stdout, False
    return out.open("w", encoding="utf-8", newline=""), True


def _check_format(fmt: str) -> None:
    if fmt not in ("csv", "json"):
        err_console.print("[red]--format must be csv or json[/red]")
        raise typer.Exit(2)


@export_app.command("stations")
def export_stations(
    election: str = typer.Option(..., "--election", "-e", help="Election code."),
    fmt: str = FORMAT,
    out: Path | None = OUT,
    lang: str = typer.Option("ru", help="Language of the ancestors' names (kk, ru, en)."),
) -> None:
    """Stations with their tree (codes and names), registered voters and flags."""
    _setup()
    _check_format(fmt)
    from baqylau.elections.exporting import export_stations as run

    stream, close = _open_out(out)
    try:
        n = run(_election(election), stream, fmt=fmt, lang=lang)
    finally:
        if close:
            stream.close()
    err_console.print(f"{n:,} stations exported")


@export_app.command("results")
def export_results(
    election: str = typer.Option(..., "--election", "-e", help="Election code."),
    level: str = typer.Option("station", help="station, district, region or country."),
    fmt: str = FORMAT,
    out: Path | None = OUT,
    lang: str = typer.Option("ru", help="Language of unit and choice names (kk, ru, en)."),
) -> None:
    """Official results in long format: one row per unit x protocol line or choice."""
    _setup()
    _check_format(fmt)
    if level not in ("station", "subdistrict", "district", "region", "country"):
        err_console.print("[red]--level must be station, district, region or country[/red]")
        raise typer.Exit(2)
    from baqylau.elections.exporting import export_results as run

    stream, close = _open_out(out)
    try:
        n = run(_election(election), stream, level=level, fmt=fmt, lang=lang)
    finally:
        if close:
            stream.close()
    err_console.print(f"{n:,} result rows exported")


def totals(
    election: str = typer.Option(..., "--election", "-e", help="Election code."),
) -> None:
    """Stations and registered voters of an election, by region."""
    _setup()
    from baqylau.elections.selectors import election_totals, totals_by_kind

    e = _election(election)
    overall = election_totals(e)
    table = Table(title=f"{e.code}: {e.localized_name}")
    table.add_column("unit")
    table.add_column("stations", justify="right")
    table.add_column("registered voters", justify="right")
    for row in totals_by_kind(e, "region"):
        table.add_row(row["name"], f"{row['stations']:,}", f"{row['registered']:,}")
    table.add_row(
        "[bold]total[/bold]",
        f"[bold]{overall['stations']:,}[/bold]",
        f"[bold]{overall['registered']:,}[/bold]",
    )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")
    app.command("totals")(totals)
