"""The `baqylau` command line. Each capability adds its own sub-commands from its `cli` module."""

from __future__ import annotations

import os
import sys

import typer

from baqylau.server import DEFAULT_THREADS

app = typer.Typer(
    help="Baqylau: independent election observation platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def setup_django() -> None:
    """Configure Django once; CLI commands that touch the database call this first."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baqylau.settings")
    import django

    django.setup()


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(0, help="Worker processes (0: two, at most the CPU count)."),
    threads: int = typer.Option(
        DEFAULT_THREADS,
        help="Threads per worker (WSGI); reports arriving together are written together.",
    ),
    asgi: bool = typer.Option(
        False, "--asgi", help="Serve ASGI instead of WSGI (the views are synchronous)."
    ),
    worker: bool = typer.Option(
        True,
        "--worker/--no-worker",
        help="Also run a background worker (recounts, summaries, snapshots); turn it off when "
        "workers run elsewhere (`baqylau worker`).",
    ),
) -> None:
    """Serve the web app (gunicorn with threaded workers; uvicorn with --asgi)."""
    setup_django()
    if workers < 1:
        workers = min(2, os.cpu_count() or 1)
    typer.echo(
        f"Serving Baqylau at http://{host}:{port}/ "
        f"({'asgi' if asgi else f'wsgi, {threads} threads'}, {workers} workers"
        f"{', and a background worker' if worker else ''})"
    )
    from baqylau.server import background_worker, run_wsgi

    with background_worker(enabled=worker):
        if asgi:
            import uvicorn

            uvicorn.run("baqylau.asgi:application", host=host, port=port, workers=workers)
            return
        run_wsgi(host, port, workers, threads)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def django(ctx: typer.Context) -> None:
    """Run any Django management command (e.g. `baqylau django createsuperuser`)."""
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["baqylau django", *ctx.args])


def _register_subcommands() -> None:
    from baqylau import demo
    from baqylau.bots import cli as bots_cli
    from baqylau.dashboard import cli as dashboard_cli
    from baqylau.elections import cli as elections_cli
    from baqylau.evidence import cli as evidence_cli
    from baqylau.forensics import cli as forensics_cli
    from baqylau.jobs import cli as jobs_cli
    from baqylau.legal import cli as legal_cli
    from baqylau.observers import cli as observers_cli
    from baqylau.simulate import cli as simulate_cli
    from baqylau.tally import cli as tally_cli

    for module in (
        elections_cli,
        simulate_cli,
        dashboard_cli,
        forensics_cli,
        evidence_cli,
        observers_cli,
        tally_cli,
        bots_cli,
        legal_cli,
        jobs_cli,
        demo,
    ):
        module.register(app)


_register_subcommands()


def main() -> None:
    app(prog_name="baqylau")


if __name__ == "__main__":
    sys.exit(main())
