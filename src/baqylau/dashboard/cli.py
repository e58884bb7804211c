"""CLI of the dashboard app: `baqylau summarize` and `baqylau snapshot`. The background worker
keeps the summaries current and publishes the snapshots at each election's hours by itself;
these commands are for a check or a correction by hand."""

import time

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def summarize(election: str = typer.Option(..., help="Election code.")) -> None:
        """Recompute the per-unit figures shown on the public pages now."""
        from baqylau.cli import setup_django

        setup_django()
        from baqylau.dashboard.services import rebuild_summaries
        from baqylau.elections.models import Election

        found = Election.objects.filter(code=election).first()
        if found is None:
            typer.echo(f"No election {election!r}.", err=True)
            raise typer.Exit(1)
        started = time.monotonic()
        count = rebuild_summaries(found)
        typer.echo(f"{count:,} units summarised in {time.monotonic() - started:.1f} s.")

    @app.command()
    def snapshot(
        election: str = typer.Option(..., help="Election code."),
        at: str = typer.Option(..., help='Time of election day, "HH:MM" (13:00, 15:00, 20:00).'),
        refresh: bool = typer.Option(True, help="Recompute the figures first."),
    ) -> None:
        """Publish the figures of the country and its regions as of a set hour."""
        from baqylau.cli import setup_django

        setup_django()
        from baqylau.dashboard.services import publish_snapshot, rebuild_summaries, snapshot_time
        from baqylau.elections.models import Election

        obj = Election.objects.filter(code=election).first()
        if obj is None:
            typer.echo(f"No election {election!r}.", err=True)
            raise typer.Exit(1)
        try:
            when = snapshot_time(obj, at)
        except ValueError as exc:
            typer.echo(f"Cannot publish a snapshot: {exc}.", err=True)
            raise typer.Exit(2) from exc
        if refresh:
            rebuild_summaries(obj)
        snap = publish_snapshot(obj, when)
        typer.echo(f"Snapshot {snap.at:%Y-%m-%d %H:%M} published ({len(snap.data)} units).")
