"""`baqylau demo` end to end (small): loads a simulated election, with observers' copies sent
through the intake, serves it over HTTP, and leaves a ledger that verifies."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _printed_password(server, seen: list[str]) -> str:
    """Read the demo's output up to its password line (printed before it serves)."""
    while not any("Demo password" in line or "Serving Baqylau" in line for line in seen):
        line = server.stdout.readline()
        if not line:
            break
        seen.append(line)
    found = re.search(r"Demo password.*?: (demo-\S+)", "".join(seen))
    assert found, "".join(seen)[-2000:]
    return found.group(1)


def _staff_home_after_login(port: int, username: str, password: str) -> int:
    """Sign in on /kk/staff/login/ (CSRF cookie and token) and open the staff home."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    page = opener.open(f"{base}/kk/staff/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(
        f"{base}/kk/staff/login/", data=data, headers={"Referer": base}
    )
    with opener.open(request, timeout=10) as r:
        assert r.url.endswith("/kk/staff/"), r.url
        return r.status


def test_demo_loads_and_serves(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {
        "BAQYLAU_DATA_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT / "src"),
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "baqylau", "demo", "--stations", "300", "--port", str(port)]
    server = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    seen: list[str] = []
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
        signed_in = {}
        for username in ("demo-coordinator", "demo-lawyer"):
            signed_in[username] = _staff_home_after_login(
                port, username, _printed_password(server, seen)
            )
    finally:
        server.terminate()
        # read through the same text stream the password was read from (its buffer holds the
        # lines after it); communicate() would bypass that buffer
        output = "".join(seen) + server.stdout.read()
        server.wait(timeout=30)
    assert "Serving Baqylau" in output, output[-2000:]
    assert "16 threads" in output, output[-2000:]
    assert "Independent count:" in output and "copies from" in output, output[-2000:]
    # one account per role, with the password printed at start; each one signs in
    for username in (
        "demo-admin",
        "demo-coordinator",
        "demo-regional",
        "demo-moderator",
        "demo-lawyer",
        "demo-observer",
    ):
        assert username in output, output[-2000:]
    assert signed_in["demo-coordinator"] == 200 and signed_in["demo-lawyer"] == 200
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
