"""Background jobs of the ledger: a signed checkpoint of its head, kept outside the database, every
few minutes while it grows (`evidence.checkpoints`)."""

from __future__ import annotations

from baqylau.evidence import checkpoints
from baqylau.jobs import job
from baqylau.jobs.registry import every, periodic


@job(retries=3)
def write_checkpoint() -> dict | None:
    """Sign the ledger's head into the checkpoint file (nothing when it has not moved)."""
    return checkpoints.write_checkpoint()


@periodic("ledger.checkpoint", due=every(checkpoints.CHECKPOINT_EVERY))
def checkpoint_due(key: str) -> None:
    write_checkpoint.enqueue()
