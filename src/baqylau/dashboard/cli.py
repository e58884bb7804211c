"""CLI of the dashboard app."""

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def summarize(election: str = typer.Option(..., help="Election code.")) -> None:
        """Recompute the per-unit totals shown on the public pages."""
        from baqylau.cli import setup_django

        setup_django()
        from baqylau.dashboard.services import rebuild_summaries
        from baqylau.elections.models import Election

        count = rebuild_summaries(Election.objects.get(code=election))
        typer.echo(f"{count:,} units summarised.")
