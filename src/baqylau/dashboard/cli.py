"""CLI of the dashboard app: `baqylau summarize` and `baqylau snapshot`."""

import time

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def summarize(
        election: str = typer.Option(..., help="Election code."),
        watch: int = typer.Option(
            0, help="Election day: recompute every WATCH seconds until stopped (0: once)."
        ),
    ) -> None:
        """Recompute the per-unit figures shown on the public pages (after imports, recounts)."""
        from baqylau.cli import setup_django

        setup_django()
        from baqylau.dashboard.services import rebuild_summaries
        from baqylau.elections.models import Election

        while True:
            started = time.monotonic()
            count = rebuild_summaries(Election.objects.get(code=election))
            typer.echo(f"{count:,} units summarised in {time.monotonic() - started:.1f} s.")
            if watch <= 0:
                break
            time.sleep(max(1.0, watch - (time.monotonic() - started)))

    @app.command()
    def snapshot(
        election: str = typer.Option(..., help="Election code."),
        at: str = typer.Option(..., help='Time of election day, "HH:MM" (13:00, 15:00, 20:00).'),
        refresh: bool = typer.Option(True, help="Recompute the figures first."),
    ) -> None:
        """Publish the figures of the country and its regions as of a set hour."""
        from baqylau.cli import setup_django

        setup_django()
        from baqylau.dashboard.services import publish_snapshot, rebuild_summaries
        from baqylau.elections.models import Election

        obj = Election.objects.get(code=election)
        if refresh:
            rebuild_summaries(obj)
        snap = publish_snapshot(obj, at)
        typer.echo(f"Snapshot {snap.at:%Y-%m-%d %H:%M} published ({len(snap.data)} units).")
