"""Jobs that the worker-process tests queue (importable by a `baqylau worker` started from the
repository's root): one that holds its loop until a file appears, one that leaves a file."""

from __future__ import annotations

import time
from pathlib import Path

from baqylau.jobs.registry import job


@job(retries=0)
def hold_until(started: str, release: str) -> None:
    Path(started).touch()
    deadline = time.monotonic() + 120
    while not Path(release).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@job(retries=0)
def leave(path: str) -> None:
    Path(path).touch()
