"""`baqylau demo` end to end (small): loads a simulated election, with observers' copies sent
through the intake, serves it over HTTP, and leaves a ledger that verifies."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_loads_and_serves(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"BAQYLAU_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "baqylau", "demo", "--stations", "300", "--port", str(port)]
    server = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 300
        page = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ru/", timeout=5) as r:
                    page = (r.status, r.read().decode())
                    break
            except OSError:
                time.sleep(1)
        assert page is not None, f"the demo did not serve: {server.poll()=}"
        assert page[0] == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ru/e/demo-kz/", timeout=10) as r:
            assert r.status == 200
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "Serving Baqylau" in output, output[-2000:]
    assert "16 threads" in output, output[-2000:]
    assert "Independent count:" in output and "copies from" in output, output[-2000:]
    # voters' ballots went through the voters' bot: the "from voters" figures are not 0
    import re

    counted = re.search(
        r"Voters' bot: [\d,]+ ballots from [\d,]+ stations, ([\d,]+) counted", output
    )
    assert counted and int(counted.group(1).replace(",", "")) > 0, output[-2000:]
    # the headline "from voters" figure rests on verified voters only, and is not 0
    headline = re.search(r"From voters \(headline, verified tiers\): ([\d,]+) votes", output)
    assert headline and int(headline.group(1).replace(",", "")) > 0, output[-2000:]
    # every demo submission is in the ledger: `baqylau ledger verify` holds on the demo database
    verify = subprocess.run(
        [sys.executable, "-m", "baqylau", "ledger", "verify"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert verify.returncode == 0, verify.stdout[-2000:] + verify.stderr[-2000:]
    assert "the ledger is intact" in verify.stdout
