"""`baqylau worker`: background jobs and the schedule."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def worker(
        interval: float = typer.Option(
            0.2, help="Seconds between looks at an empty queue.", min=0.0, max=60.0
        ),
        schedule: bool = typer.Option(
            True, help="Also run the schedule (snapshots, reminders, summaries)."
        ),
        until_idle: bool = typer.Option(
            False, "--until-idle", help="Run the jobs that are ready, then exit."
        ),
    ) -> None:
        """Run background jobs (several workers may run, on several machines)."""
        from baqylau.cli import setup_django

        setup_django()
        from baqylau.jobs import worker as jobs_worker

        if until_idle:
            ran = jobs_worker.run_until_idle()
            typer.echo(f"{ran} job(s) run; the queue is empty.")
            return
        typer.echo("Running background jobs (Ctrl+C to stop).")
        jobs_worker.run(interval=interval, schedule=schedule)
