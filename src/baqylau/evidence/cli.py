"""`baqylau ledger verify` and `baqylau ledger digest`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

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
    results: bool = typer.Option(True, help="Re-derive the station results from the copies."),
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="Signed checkpoints (JSON Lines, e.g. a copy of /ledger/checkpoints.jsonl) to "
            "compare the chain with; default: the data dir's own checkpoint file, if any.",
        ),
    ] = None,
    key: Annotated[
        list[str] | None,
        typer.Option(
            "--key", help="A trusted public key (base64) of the checkpoints; default: ours."
        ),
    ] = None,
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Recompute the hash chain, re-read every record and file, re-derive the station results
    and compare with the signed checkpoints; exit 1 on any problem."""
    _setup()
    from baqylau.evidence.checkpoints import checkpoint_file
    from baqylau.evidence.ledger import verify

    if against is None and checkpoint_file().exists():
        against = checkpoint_file()
    if against is not None and not against.is_file():
        err_console.print(f"[red]no checkpoint file at {against}[/red]")
        raise typer.Exit(2)
    report = verify(
        check_records=records,
        check_files=files,
        check_unrecorded=unrecorded,
        check_results=results,
        checkpoints=against,
        keys=key or None,
    )
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        console.print(
            f"{report.entries:,} entries, head #{report.head_seq} {report.head_hash}; "
            f"{report.records_checked:,} records, {report.files_checked:,} files and "
            f"{report.results_checked:,} station results re-read; "
            f"{report.checkpoints_checked:,} checkpoints compared"
            + (f" ({against})" if against is not None else " (no checkpoint file)")
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
    store: bool = typer.Option(
        True, help="Store the digest for /ledger/digest.json and append a signed checkpoint."
    ),
) -> None:
    """Print (and store) the root digest: the head hash with its sequence number and time; with
    --store (the default) also sign it into the checkpoint file kept outside the database."""
    _setup()
    from django.utils import timezone

    from baqylau.evidence.checkpoints import checkpoint_file, write_checkpoint
    from baqylau.evidence.ledger import head, publish_digest

    if store:
        data = publish_digest().as_dict()
        checkpoint = write_checkpoint(force=True)
        if checkpoint is not None:
            data["checkpoint"] = checkpoint
            data["checkpoint_file"] = str(checkpoint_file())
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
