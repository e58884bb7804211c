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
import io
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

from _django import setup_django

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def _create_pg_database(url: str) -> None:
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    base = ["psql", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    base += ["-U", parts.username or "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q"]
    subprocess.run([*base, "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)
    subprocess.run([*base, "-c", f'CREATE DATABASE "{name}"'], check=True)


def _populate(stations: int) -> list[dict]:
    """An election with `stations` stations, one observer (user + token) placed at each."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from baqylau.accounts.models import ApiToken, hash_token
    from baqylau.elections.models import AdminUnit, Election
    from baqylau.observers.models import Assignment, Membership, Observer, Organisation

    election = Election.objects.create(
        code="bench", date=timezone.localdate(), kind="presidential", country="KZ", name_en="Bench"
    )

    def unit(parent, kind, code, **extra):
        return AdminUnit(
            election=election,
            parent=parent,
            kind=kind,
            code=code,
            path=f"{parent.path}/{code}" if parent else code,
            depth=parent.depth + 1 if parent else 0,
            name_en=code,
            **extra,
        )

    country = unit(None, "country", "KZ")
    country.save()
    region = unit(country, "region", "01")
    region.save()
    district = unit(region, "district", "0101")
    district.save()
    units = AdminUnit.objects.bulk_create(
        [unit(district, "station", str(1000 + i), registered_voters=3000) for i in range(stations)]
    )
    org = Organisation.objects.create(code="bench-org", kind="ngo", name_en="Bench")
    observers = Observer.objects.bulk_create(
        [Observer(organisation=org, public_id=f"OBS-B{i:05d}") for i in range(stations)]
    )
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"bench{i}", password="!") for i in range(stations)]
    )
    Membership.objects.bulk_create(
        [
            Membership(user=u, organisation=org, role="observer", observer=o)
            for u, o in zip(users, observers, strict=True)
        ]
    )
    Assignment.objects.bulk_create(
        [
            Assignment(election=election, observer=o, station=s, organisation=org, shift="opening")
            for o, s in zip(observers, units, strict=True)
        ]
    )
    keys = [ApiToken.new_key() for _ in users]
    ApiToken.objects.bulk_create(
        [
            ApiToken(user=u, name="bench", prefix=k[:8], key_hash=hash_token(k))
            for u, k in zip(users, keys, strict=True)
        ]
    )
    return [
        {"token": k, "station": s.code, "election": election.code}
        for k, s in zip(keys, units, strict=True)
    ]


def _photos(n: int = 20) -> list[bytes]:
    from PIL import Image

    out = []
    for i in range(n):
        image = Image.new("RGB", (640, 480), (i * 12 % 256, 80, 160))
        image.paste((255, 255, 255), (i * 20, 100, i * 20 + 120, 220))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=80)
        out.append(buffer.getvalue())
    return out


def _start_server(port: int, args, env: dict) -> subprocess.Popen:
    if args.interface == "wsgi":  # exactly what `baqylau serve` runs (gunicorn, gthread)
        cmd = [sys.executable, "-m", "baqylau", "serve", "--port", str(port)]
        cmd += ["--workers", str(args.workers), "--threads", str(args.threads)]
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


async def _wait_ready(base: str, timeout: float = 60) -> None:
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(base + "/ru/observe/manifest.webmanifest") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.3)
    raise RuntimeError("the server did not start")


async def _warm_up(base: str, workers: int, timeout: float = 180) -> None:
    """Until every worker answers quickly: a cold worker (importing Django, loading the URLconf)
    would otherwise hold the first requests for seconds and spoil the latency figures."""
    import aiohttp

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # New connections each round, so that the kernel spreads them over all the workers.
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:

            async def get() -> float:
                t0 = time.perf_counter()
                async with s.get(base + "/ru/observe/manifest.webmanifest") as r:
                    await r.read()
                return time.perf_counter() - t0

            times = await asyncio.gather(*(get() for _ in range(16 * workers)))
        if max(times) < 1.0:
            return
    raise RuntimeError("the workers did not warm up")


async def _drive(args, base: str, observers: list[dict], photos: list[bytes]) -> dict:
    import aiohttp

    latencies: list[float] = []
    codes: dict[int, int] = {}
    acked: list[tuple[str, int, str]] = []  # (kind, record id, submission id)
    failures: list[str] = []
    counter = 0
    stop_at = time.monotonic() + args.duration
    start = time.monotonic()

    def request_for(n: int, who: dict):
        minute = random.randrange(8 * 60, 20 * 60)
        at = f"{minute // 60:02d}:{minute % 60:02d}"
        common = {"station": who["station"], "election": who["election"], "at": at}
        if n % args.photo_every == 0:
            kind, data = "incident", {**common, "violation": "stuffing", "text": f"#{n}"}
            photo = photos[n % len(photos)]
        elif n % 2:
            kind, data, photo = "incident", {**common, "violation": "campaigning"}, None
            data["text"] = f"report {n}"
        else:
            kind, photo = "turnout", None
            data = {**common, "count": random.randrange(0, 3000)}
            data["commission_count"] = n % 3000
        return kind, data, photo

    async def one(session: aiohttp.ClientSession, n: int) -> None:
        who = observers[n % len(observers)]
        kind, data, photo = request_for(n, who)
        headers = {"Authorization": f"Bearer {who['token']}"}
        if args.endpoint == "ceiling":
            t0 = time.perf_counter()
            async with session.get(f"{base}/ru/observe/manifest.webmanifest") as r:
                await r.read()
            latencies.append(time.perf_counter() - t0)
            codes[r.status] = codes.get(r.status, 0) + 1
            return
        if args.endpoint == "observe":
            url = f"{base}/ru/observe/api/reports/{kind}"
            headers["Idempotency-Key"] = str(uuid.uuid4())
            if photo is None:
                body = {"json": {"data": data}}
            else:
                form = aiohttp.FormData()
                form.add_field("data", json.dumps(data))
                form.add_field("photos", photo, filename="p.jpg", content_type="image/jpeg")
                body = {"data": form}
        else:
            url = f"{base}/api/v1/reports/{kind}"
            if photo is None:
                body = {"json": data}
            else:
                form = aiohttp.FormData()
                for k, v in data.items():
                    form.add_field(k, str(v))
                form.add_field("photos", photo, filename="p.jpg", content_type="image/jpeg")
                body = {"data": form}
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
        _create_pg_database(args.database_url)
    setup_django(data_dir, args.database_url)
    t0 = time.perf_counter()
    observers = _populate(args.stations)
    photos = _photos()
    from django.db import connections

    connections.close_all()
    engine = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{engine}: {args.stations} stations/observers ready in {time.perf_counter() - t0:.1f}s")

    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "LOG_LEVEL": "ERROR"}
    server = _start_server(port, args, env)
    base = f"http://127.0.0.1:{port}"
    spy = None
    try:
        asyncio.run(_wait_ready(base))
        asyncio.run(_warm_up(base, args.workers))
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
