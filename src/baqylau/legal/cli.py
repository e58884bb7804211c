"""`baqylau legal …`: deadline reminders, template sync, bundle verification, statistics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Legal follow-up: reminders, templates, evidence bundles.", no_args_is_help=True
)


@app.command()
def reminders(
    send: Annotated[
        bool, typer.Option("--send", help="E-mail the lawyers (default: list only).")
    ] = False,
    today: Annotated[str, typer.Option(help="Date to count from (YYYY-MM-DD).")] = "",
    lead: Annotated[
        str, typer.Option(help="Days before a deadline to remind, comma-separated.")
    ] = "3,1,0",
) -> None:
    """List (or send) reminders of deadlines that are near or missed."""
    from baqylau.cli import setup_django

    setup_django()
    from baqylau.legal import services

    day = dt.date.fromisoformat(today) if today else None
    leads = tuple(int(x) for x in lead.split(",") if x.strip())
    due = services.send_reminders(today=day, lead_days=leads, send=send)
    for case, days_before in due:
        typer.echo(
            f"{case.next_deadline.isoformat()}  case {case.pk}  {case.kind}  {case.status}  "
            f"lawyer={case.lawyer.get_username()}  reminder={days_before}d"
            + ("  sent" if send else "")
        )
    typer.echo(f"{len(due)} reminder(s) {'sent' if send else 'due'}")


@app.command("templates-sync")
def templates_sync() -> None:
    """Add the document templates shipped with the platform (new package versions only)."""
    from baqylau.cli import setup_django

    setup_django()
    from baqylau.legal import services

    created = services.sync_package_templates()
    for template in created:
        typer.echo(f"added {template}")
    typer.echo(f"{len(created)} template version(s) added")


@app.command("verify-bundle")
def verify_bundle(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Bundle ZIP.")],
) -> None:
    """Verify an evidence bundle (same as `python -m baqylau.legal.verify_bundle`)."""
    from baqylau.legal.verify_bundle import main

    raise typer.Exit(main([str(path)]))


@app.command()
def deadline(
    start: Annotated[str, typer.Argument(help="Date of the decision or act (YYYY-MM-DD).")],
    days: Annotated[int, typer.Option(help="Length of the period in calendar days.")] = 10,
) -> None:
    """Compute a deadline with the non-working-day rule (no database needed)."""
    from baqylau.legal import deadlines

    due = deadlines.deadline(dt.date.fromisoformat(start), days, deadlines.load_calendar())
    typer.echo(due.isoformat())


@app.command()
def stats() -> None:
    """Complaints and statements per region and kind (filed, refused, pre-trial investigations started)."""
    from baqylau.cli import setup_django

    setup_django()
    from baqylau.legal import selectors

    rows = selectors.statistics()
    for row in rows:
        typer.echo(
            f"{row['region']:<30} {row['kind']:<22} total={row['total']} filed={row['filed']} "
            f"refused={row['refused']} accepted={row['accepted']} "
            f"investigations={row['investigations']}"
        )
    totals = selectors.statistics_totals(rows)
    typer.echo(" ".join(f"{k}={v}" for k, v in totals.items()))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="legal")
