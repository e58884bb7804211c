"""Sustained election-day report intake over HTTP, then a check that nothing acknowledged is lost.

    python bench/intake.py                                   # SQLite in a temporary data dir
    python bench/intake.py --database-url postgres://postgres@127.0.0.1:5432/bench_intake

Creates an election (``--stations`` stations), observers placed one per station, their users and
API tokens; starts `baqylau serve` (gunicorn; uvicorn with ``--interface asgi``) with ``--workers`` on the temporary data dir; then ``--concurrency``
clients (aiohttp, in this process) send reports for ``--duration`` seconds: turnout counts and
incidents (JSON), every ``--photo-every``-th report an incident with a JPEG (multipart). Prints
reports/s, p50/p99 latency and the status codes, then checks in the database that every
acknowledged report (201) exists — count and ids — and that every photo was stored.

``--endpoint reports`` (default) posts to /api/v1/reports/<kind>; ``--endpoint observe`` to the
observer app's idempotent outbox endpoint (/ru/observe/api/reports/<kind>, one UUID per report);
``--endpoint ceiling`` only GETs the app manifest (no database): the server's own limit here.
``--profile FILE`` records the server processes with py-spy while the load runs.
PostgreSQL: the database named in the URL is dropped and created again with psql.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import _load
from _django import setup_django

ROOT = Path(__file__).resolve().parents[1]


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid → (parent pid, name, user + system CPU seconds), from Linux /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            name, rest = stat.split("(", 1)[1].rsplit(")", 1)
            fields = rest.split()
            table[int(entry.name)] = (
                int(fields[1]),
                name,
                (int(fields[11]) + int(fields[12])) / tick,
            )
    return table


def _cpu_seconds(root: int) -> float:
    """CPU time of a process and its descendants."""
    table = _processes()
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += table.get(pid, (0, "", 0.0))[2]
        todo += [child for child, (parent, _, _) in table.items() if parent == pid]
    return total


def _postgres_cpu_seconds() -> float:
    """CPU time of every local PostgreSQL process (it shares the machine)."""
    return sum(cpu for _, name, cpu in _processes().values() if name.startswith("postgres"))


def _start_server(port: int, args, env: dict) -> subprocess.Popen:
    if args.interface == "wsgi":  # exactly what `baqylau serve` runs (gunicorn, gthread)
        cmd = _load.serve_command(port, args.workers, args.threads)
        return subprocess.Popen(cmd, env=env, cwd=str(ROOT))
    app = "baqylau.asgi:application"
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--interface",
        {"asgi": "asgi3"}.get(args.interface, args.interface),
    ]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers)]
    cmd += ["--log-level", "warning", "--no-access-log"]
    if args.accel:
        # httptools + uvloop from a separate directory (pip install --target DIR httptools uvloop)
        env = {**env, "PYTHONPATH": f"{env['PYTHONPATH']}{os.pathsep}{args.accel}"}
        cmd += ["--http", "httptools", "--loop", "uvloop"]
    return subprocess.Popen(cmd, env=env, cwd=str(ROOT))


async def _drive(args, base: str, observers: list[dict], photos: list[bytes]) -> dict:
    import aiohttp

    latencies: list[float] = []
    codes: dict[int, int] = {}
    acked: list[tuple[str, int, str]] = []  # (kind, record id, submission id)
    failures: list[str] = []
    counter = 0
    stop_at = time.monotonic() + args.duration
    start = time.monotonic()

    async def one(session: aiohttp.ClientSession, n: int) -> None:
        who = observers[n % len(observers)]
        if args.endpoint == "ceiling":
            t0 = time.perf_counter()
            async with session.get(base + _load.READY_PATH) as r:
                await r.read()
            latencies.append(time.perf_counter() - t0)
            codes[r.status] = codes.get(r.status, 0) + 1
            return
        kind, data, photo = _load.report(n, who, args.photo_every, photos)
        key = str(uuid.uuid4()) if args.endpoint == "observe" else None
        url, headers, body = _load.request(
            base, args.endpoint, kind, data, photo, who["token"], key
        )
        t0 = time.perf_counter()
        try:
            async with session.post(url, headers=headers, **body) as r:
                payload = await r.read()
                status = r.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
            return
        latencies.append(time.perf_counter() - t0)
        codes[status] = codes.get(status, 0) + 1
        if status == 201:
            answer = json.loads(payload)
            acked.append((kind, answer["id"], str(answer["submission"]), photo is not None))
        elif len(failures) < 5:
            failures.append(f"{status}: {payload[:300]!r}")

    async def worker(session) -> None:
        nonlocal counter
        while time.monotonic() < stop_at:
            counter += 1
            await one(session, counter)

    connector = aiohttp.TCPConnector(limit=args.concurrency)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(args.concurrency)))
    elapsed = time.monotonic() - start
    return {
        "elapsed": elapsed,
        "latencies": latencies,
        "codes": codes,
        "acked": acked,
        "failures": failures,
    }


def _verify(acked: list[tuple]) -> tuple[bool, str]:
    """Every acknowledged report is in the database (count and ids), with its photo, and the
    ledger verifies (every envelope and file recorded, nothing changed)."""
    from django.db import connection

    from baqylau.evidence.models import MediaFile
    from baqylau.reports.models import Incident, TurnoutCount

    connection.close()
    models = {"turnout": TurnoutCount, "incident": Incident}
    problems = []
    for kind, model in models.items():
        want = {(rid, sub) for k, rid, sub, _ in acked if k == kind}
        have = {(pk, str(sub)) for pk, sub in model.objects.values_list("pk", "submission_id")}
        missing = want - have
        if missing:
            problems.append(f"{kind}: {len(missing)} acknowledged but missing")
        if len(have) != len(want):
            problems.append(f"{kind}: {len(have)} in the database, {len(want)} acknowledged")
    with_photo = {sub for k, _, sub, photo in acked if photo}
    stored = {
        str(s)
        for s in MediaFile.objects.filter(submission_id__in=list(with_photo)).values_list(
            "submission_id", flat=True
        )
    }
    if with_photo - stored:
        problems.append(f"{len(with_photo - stored)} photos acknowledged but not stored")
    from baqylau.evidence import ledger

    chain = ledger.verify()  # every envelope and file recorded, chain intact, nothing changed
    if not chain.ok:
        problems.append("ledger: " + "; ".join(sorted(chain.codes())))
    counts = f"{len(acked)} acknowledged; {len(with_photo)} with a photo"
    counts += f"; ledger verified ({chain.entries} entries)" if chain.ok else ""
    return not problems, counts + ("; " + "; ".join(problems) if problems else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16, help="threads per worker (wsgi)")
    parser.add_argument("--stations", type=int, default=500)
    parser.add_argument("--photo-every", type=int, default=10)
    parser.add_argument(
        "--endpoint",
        choices=["reports", "observe", "ceiling"],
        default="reports",
        help="ceiling: GET the app manifest (no database) to measure the server's own limit",
    )
    parser.add_argument("--interface", choices=["asgi", "wsgi"], default="wsgi", help="as serve")
    parser.add_argument(
        "--accel", metavar="DIR", help="a directory holding httptools and uvloop for uvicorn"
    )
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="record the server with py-spy (--subprocesses) into FILE (.svg flame graph, or "
        ".txt for collapsed stacks)",
    )
    args = parser.parse_args(argv)

    data_dir = tempfile.mkdtemp(prefix="bq-intake-")
    if args.database_url:
        _load.create_pg_database(args.database_url)
    setup_django(data_dir, args.database_url)
    t0 = time.perf_counter()
    observers = _load.populate(args.stations)
    photos = _load.photos()
    from django.db import connections

    connections.close_all()
    engine = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{engine}: {args.stations} stations/observers ready in {time.perf_counter() - t0:.1f}s")

    port = _load.free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "LOG_LEVEL": "ERROR"}
    server = _start_server(port, args, env)
    base = f"http://127.0.0.1:{port}"
    spy = None
    try:
        asyncio.run(_load.wait_ready(base))
        asyncio.run(_load.warm_up(base, args.workers))
        if args.profile:
            fmt = "raw" if args.profile.endswith(".txt") else "flamegraph"
            spy = subprocess.Popen(
                [
                    "py-spy",
                    "record",
                    "--subprocesses",
                    "--gil",
                    "--pid",
                    str(server.pid),
                    "--rate",
                    "250",
                ]
                + ["--format", fmt, "--output", args.profile, "--nonblocking"]
            )
            time.sleep(1)
        cpu_before = _cpu_seconds(server.pid)
        pg_before = _postgres_cpu_seconds()
        client_before = time.process_time()
        result = asyncio.run(_drive(args, base, observers, photos))
        server_cpu = _cpu_seconds(server.pid) - cpu_before
        pg_cpu = _postgres_cpu_seconds() - pg_before
        client_cpu = time.process_time() - client_before
    finally:
        if spy is not None:
            spy.send_signal(2)
            spy.wait(timeout=60)
        server.terminate()
        server.wait(timeout=30)

    lat = sorted(result["latencies"])
    acked = result["acked"]
    rate = (len(lat) if args.endpoint == "ceiling" else len(acked)) / result["elapsed"]
    p50 = statistics.median(lat) * 1000 if lat else float("nan")
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else float("nan")
    print(
        f"{engine} · {args.endpoint} · {args.interface}{' +httptools/uvloop' if args.accel else ''}"
        f" · {args.workers} workers × {args.threads} threads · {args.concurrency} clients · "
        f"{result['elapsed']:.1f}s"
    )
    print(f"  acknowledged reports/s: {rate:.0f}  (requests: {len(lat)}, codes: {result['codes']})")
    print(f"  latency p50 {p50:.1f} ms · p99 {p99:.1f} ms")
    done = max(1, len(lat))
    print(
        f"  CPU per request: server {server_cpu / done * 1000:.2f} ms, "
        f"load generator {client_cpu / done * 1000:.2f} ms"
        + (f", PostgreSQL {pg_cpu / done * 1000:.2f} ms " if args.database_url else " ")
        + f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    for failure in result["failures"][:5]:
        print("  !", failure)
    ok, summary = _verify(acked)
    print(f"  durability: {'OK' if ok else 'FAILED'} — {summary}")
    if not args.keep:
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)
    else:
        print(f"  data dir kept: {data_dir}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
