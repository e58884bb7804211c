"""Concurrent report intake through the real server (`baqylau serve`, gunicorn threads) over real
HTTP: batched writes lose nothing. Runs bench/intake.py briefly on the pass's own database, which
checks that every acknowledged report, photo and ledger entry is there afterwards."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str | None:
    """None on the SQLite pass; on the PostgreSQL pass, a scratch database on the same server."""
    if os.environ.get("BAQYLAU_TEST_DB") != "postgres":
        return None
    parts = urlparse(os.environ["DATABASE_URL"])
    return urlunparse(parts._replace(path="/baqylau_intake_load"))


@pytest.mark.uses_database
def test_concurrent_reports_over_http_are_all_stored_and_ledgered(tmp_path):
    url = _database_url()
    command = [sys.executable, "bench/intake.py", "--duration", "4", "--stations", "40"]
    command += ["--concurrency", "24", "--photo-every", "5"]
    if url:
        command += ["--database-url", url]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BAQYLAU_DATA_DIR")}
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr[-3000:]
    assert "durability: OK" in out and "ledger verified" in out, out
    summary = next(line for line in out.splitlines() if "acknowledged reports/s" in line)
    codes = summary.split("codes: ", 1)[1]
    assert codes.startswith("{201: ") and codes.count(":") == 1, summary  # nothing but 201
    acknowledged = int(out.split("durability: OK — ", 1)[1].split(" acknowledged")[0])
    assert acknowledged >= 50, out
