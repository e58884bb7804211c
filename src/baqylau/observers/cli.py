"""`baqylau observers import ORG FILE`: bulk import of observers (CSV or XLSX, all or nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Observers: bulk import.", no_args_is_help=True)


@app.command("import")
def import_(
    organisation: Annotated[str, typer.Argument(help="Organisation code.")],
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX file.")],
) -> None:
    """Import observers; nothing is written unless every row is valid."""
    from baqylau.cli import setup_django

    setup_django()
    from baqylau.observers.models import Organisation
    from baqylau.observers.services import ImportFailed, import_observers

    org = Organisation.objects.filter(code=organisation).first()
    if org is None:
        typer.echo(f"unknown organisation {organisation!r}", err=True)
        raise typer.Exit(2)
    try:
        observers = import_observers(
            organisation=org, content=path.read_bytes(), filename=path.name
        )
    except ImportFailed as exc:
        for error in exc.errors:
            typer.echo(str(error), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"imported {len(observers)} observers")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="observers")
