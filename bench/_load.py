"""What the HTTP load benchmarks share (bench/intake.py, bench/faults.py): a scratch PostgreSQL
database, an election with one observer (user and API token) placed at each station, the real
`baqylau serve` on a free port, waiting for it, and the reports the clients send."""

from __future__ import annotations

import asyncio
import io
import json
import random
import socket
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlparse


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_pg_database(url: str) -> None:
    """Drop the database named in `url` (closing its connections) and create it again."""
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    base = ["psql", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    base += ["-U", parts.username or "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q"]
    subprocess.run([*base, "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)
    subprocess.run([*base, "-c", f'CREATE DATABASE "{name}"'], check=True)


def populate(stations: int) -> list[dict]:
    """An election with `stations` stations, one observer (user + token) placed at each; returns
    ``{"token", "station", "election"}`` per observer."""
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


def photos(n: int = 20) -> list[bytes]:
    """`n` different small JPEGs."""
    from PIL import Image

    out = []
    for i in range(n):
        image = Image.new("RGB", (640, 480), (i * 12 % 256, 80, 160))
        image.paste((255, 255, 255), (i * 20, 100, i * 20 + 120, 220))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=80)
        out.append(buffer.getvalue())
    return out


def serve_command(port: int, workers: int, threads: int) -> list[str]:
    """Exactly what an operator runs: `baqylau serve` (gunicorn, gthread, and its worker)."""
    return [
        sys.executable,
        "-m",
        "baqylau",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]


READY_PATH = "/ru/observe/manifest.webmanifest"  # served without the database


async def wait_ready(base: str, timeout: float = 60) -> None:
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(base + READY_PATH) as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.3)
    raise RuntimeError("the server did not start")


async def warm_up(base: str, workers: int, timeout: float = 180) -> None:
    """Until every worker answers quickly: a cold worker (importing Django, loading the URLconf)
    would otherwise hold the first requests for seconds and spoil the latency figures."""
    import aiohttp

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # New connections each round, so that the kernel spreads them over all the workers.
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:

            async def get() -> float:
                t0 = time.perf_counter()
                async with s.get(base + READY_PATH) as r:
                    await r.read()
                return time.perf_counter() - t0

            times = await asyncio.gather(*(get() for _ in range(16 * workers)))
        if max(times) < 1.0:
            return
    raise RuntimeError("the workers did not warm up")


def report(n: int, who: dict, photo_every: int, photo_list: list[bytes]):
    """The `n`-th report of a run: (kind, data, photo or None). Every `photo_every`-th is an
    incident with a photo; the others alternate between incidents and turnout counts."""
    minute = random.randrange(8 * 60, 20 * 60)
    common = {"station": who["station"], "election": who["election"]}
    common["at"] = f"{minute // 60:02d}:{minute % 60:02d}"
    if n % photo_every == 0:
        data = {**common, "violation": "stuffing", "text": f"#{n}"}
        return "incident", data, photo_list[n % len(photo_list)]
    if n % 2:
        return "incident", {**common, "violation": "campaigning", "text": f"report {n}"}, None
    return (
        "turnout",
        {**common, "count": random.randrange(0, 3000), "commission_count": n % 3000},
        None,
    )


def request(
    base: str,
    endpoint: str,
    kind: str,
    data: dict,
    photo: bytes | None,
    token: str,
    key: str | None = None,
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(url, headers, aiohttp body arguments) of one report. ``endpoint`` "observe": the observer
    app's outbox endpoint, `key` as its Idempotency-Key; "reports": /api/v1/reports/<kind>, `key`
    (if any) as the data's ``client_id`` (kept in the envelope, so the report can be found)."""
    import aiohttp

    headers = {"Authorization": f"Bearer {token}"}
    if endpoint == "observe":
        url = f"{base}/ru/observe/api/reports/{kind}"
        headers["Idempotency-Key"] = key
        if photo is None:
            return url, headers, {"json": {"data": data}}
        form = aiohttp.FormData()
        form.add_field("data", json.dumps(data))
        form.add_field("photos", photo, filename="p.jpg", content_type="image/jpeg")
        return url, headers, {"data": form}
    url = f"{base}/api/v1/reports/{kind}"
    if key is not None:
        data = {**data, "client_id": key}
    if photo is None:
        return url, headers, {"json": data}
    form = aiohttp.FormData()
    for k, v in data.items():
        form.add_field(k, str(v))
    form.add_field("photos", photo, filename="p.jpg", content_type="image/jpeg")
    return url, headers, {"data": form}
