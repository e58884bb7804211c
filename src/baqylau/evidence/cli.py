"""`baqylau ledger verify` and `baqylau ledger digest`."""

from __future__ import annotations

import json

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)

ledger_app = typer.Typer(help="The tamper-evident ledger of submissions, evidence and decisions.")


def _setup() -> None:
    from baqylau.cli import setup_django

    setup_django()


@ledger_app.command("verify")
def verify_command(
    files: bool = typer.Option(True, help="Re-hash every evidence file on disk."),
    records: bool = typer.Option(True, help="Re-read every recorded record."),
    unrecorded: bool = typer.Option(True, help="Report records missing from the ledger."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Recompute the hash chain and re-read every record and file; exit 1 on any problem."""
    _setup()
    from baqylau.evidence.ledger import verify

    report = verify(check_records=records, check_files=files, check_unrecorded=unrecorded)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        console.print(
            f"{report.entries:,} entries, head #{report.head_seq} {report.head_hash}; "
            f"{report.records_checked:,} records and {report.files_checked:,} files re-read"
        )
        for problem in report.problems:
            err_console.print(f"[red]✗[/red] {problem.code}: {problem.message}", highlight=False)
        if report.ok:
            console.print("[green]✓ the ledger is intact[/green]")
        else:
            err_console.print(f"[red]{len(report.problems)} problem(s) found[/red]")
    if not report.ok:
        raise typer.Exit(1)


@ledger_app.command("digest")
def digest_command(
    store: bool = typer.Option(True, help="Store the digest for /ledger/digest.json."),
) -> None:
    """Print (and store) the root digest: the head hash with its sequence number and time."""
    _setup()
    from django.utils import timezone

    from baqylau.evidence.ledger import head, publish_digest

    if store:
        data = publish_digest().as_dict()
    else:
        seq, entry_hash = head()
        data = {
            "sequence": seq,
            "head_hash": entry_hash,
            "published_at": timezone.now().isoformat(),
        }
    typer.echo(json.dumps(data, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")
