"""Faults under load: the whole server killed with SIGKILL three times and the database stopped and
started once while observers' phones keep sending; then what was acknowledged, stored, lost and
duplicated, how soon a report in flight at the fault was accepted again, and what the server
answered while the database was away.

    python bench/faults.py --database-url postgres://postgres@127.0.0.1:5432/bq_faults_bench
    python bench/faults.py                      # SQLite in the data dir: the kills only

1. Creates an election with one observer (user and API token) placed at each station
   (`_load.populate`) in a scratch data dir; the database named in the URL is dropped and created.
2. Starts the real `baqylau serve` (gunicorn master, its workers and the background worker, in
   a process group of their own) on a free port.
3. ``--clients`` phones, one per observer, send reports as the observer app's outbox does
   (observer_app/static/observer_app/outbox.js): each report has a UUID; a network error, a 5xx,
   409 or 429 keeps it queued and retries it with the outbox's backoff (2 s × 2^attempts, at most
   300 s, ×0.5–1.5; scaled by ``--backoff-scale`` to keep the run short); after a network error
   every queued report of that phone waits as long. An acknowledgement (201, or 200 for a report
   already received) takes a report off the queue; another 4xx keeps it as rejected. A share of
   the phones (``--api-share``) sends through the reports API (/api/v1/reports/<kind>, the UUID
   as the data's ``client_id``) instead of the observer app's outbox endpoint
   (/ru/observe/api/reports/<kind>, the UUID as Idempotency-Key). An observer writes a new report
   whenever fewer than ``--queue`` wait on the phone.
4. Under that load: ``--kills`` times, SIGKILL to the whole process group and a restart at once;
   then (PostgreSQL, as root) the cluster is stopped and started (``--outage`` seconds in all).
   The reports in flight when a fault hit (sent, not answered before the kill took effect; for
   the outage, open when the server answered its first 503) are sent again right after the
   server (or the database) is back, every 0.2 s, as a second tab or the service worker's
   Background Sync would: the time until each is acknowledged measures the server's recovery of
   in-flight keys (not the phones' backoff). Observer-app keys left claimed ("processing") are
   counted from the database before the restart (after the database is back, for the outage).
5. When the load stops the phones empty their queues (at most ``--drain`` seconds), the server
   is stopped, and the benchmark counts, by each report's UUID as stored in its envelope: reports
   acknowledged, stored, lost (acknowledged, not stored), duplicated (one UUID with two records),
   photos lost; observer-app keys left "processing"; the answers during the outage (503 with
   Retry-After vs other 5xx, HTML 500s); and runs `baqylau ledger verify`.

Prints figures only (exit 1 when a report is lost or duplicated, or the ledger fails).
PostgreSQL is always started again (a `finally`, and a detached watchdog in case this process
dies), and the outage is kept short: other people use that cluster too.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import _load
from _django import ROOT, setup_django

#: Answers after which the outbox keeps a report queued and retries it (besides network errors).
RETRY_4XX = (408, 409, 425, 429)
PROBE_EVERY = 0.2  # seconds between resends of an in-flight report once the server is back
PROBE_FOR = 60.0  # ... and for at most this long


@dataclass(eq=False)
class Item:
    """One report in a phone's outbox."""

    key: str
    endpoint: str  # "observe" or "reports"
    kind: str
    data: dict
    photo: bytes | None
    token: str
    created: float
    attempts: int = 0
    next: float = 0.0


@dataclass
class Answer:
    at: float
    status: int  # 0: a network error or timeout
    retry_after: bool = False
    html: bool = False


@dataclass
class Fault:
    name: str
    started: float
    done: float = 0.0  # the process group gone / the cluster stopped
    back: float = 0.0
    in_flight: list[Item] = field(default_factory=list)
    claimed: set[str] = field(default_factory=set)  # observer-app keys left "processing"
    accepted_after: dict[str, float] = field(default_factory=dict)  # key → s after back
    probe_codes: collections.Counter = field(default_factory=collections.Counter)


class Run:
    """What the phones, the probes and the conductor share."""

    def __init__(self, args, base: str, observers: list[dict], photos: list[bytes]):
        self.args, self.base, self.observers, self.photos = args, base, observers, photos
        self.loading = True
        self.drain_until = float("inf")
        self.items: dict[str, Item] = {}
        self.in_flight: collections.Counter = collections.Counter()  # key → requests open
        self.acked: dict[str, float] = {}  # key → when first acknowledged
        self.ack_records: dict[str, set[int]] = collections.defaultdict(set)
        self.rejected: dict[str, tuple[float, str]] = {}  # key → (when, the answer)
        self.outage: Fault | None = None  # a database outage whose first 503 is awaited
        self.answers: list[Answer] = []
        self.faults: list[Fault] = []
        self.counter = 0
        self.session = None

    def new_item(self, phone: int, endpoint: str) -> Item:
        self.counter += 1
        who = self.observers[phone]
        kind, data, photo = _load.report(self.counter, who, self.args.photo_every, self.photos)
        item = Item(str(uuid.uuid4()), endpoint, kind, data, photo, who["token"], time.monotonic())
        self.items[item.key] = item
        return item

    async def send(self, item: Item) -> tuple[str, int]:
        """One attempt: ("ack", "rejected", "network" or "retry" by the outbox's rules; the
        status, 0 for a network error)."""
        import aiohttp

        url, headers, body = _load.request(
            self.base, item.endpoint, item.kind, item.data, item.photo, item.token, item.key
        )
        self.in_flight[item.key] += 1
        try:
            async with self.session.post(url, headers=headers, **body) as r:
                raw = await r.read()
                status, ctype = r.status, r.headers.get("Content-Type", "")
                retry_after = "Retry-After" in r.headers
        except (TimeoutError, aiohttp.ClientError):
            self.answers.append(Answer(time.monotonic(), 0))
            return "network", 0
        finally:
            self.in_flight[item.key] -= 1
        self.answers.append(Answer(time.monotonic(), status, retry_after, "text/html" in ctype))
        if status == 503 and self.outage is not None and not self.outage.done:
            self.outage.done = time.monotonic()  # the server has seen the outage: what is open
            self.outage.in_flight = [self.items[k] for k, n in self.in_flight.items() if n > 0]
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        verdict = _verdict(item, status, answer if isinstance(answer, dict) else None)
        if verdict == "ack":
            self.acked.setdefault(item.key, time.monotonic())
            if answer.get("id") is not None:
                self.ack_records[item.key].add(answer["id"])
        elif verdict == "rejected":
            self.rejected.setdefault(item.key, (time.monotonic(), f"{status} {raw[:300]!r}"))
        return verdict, status

    def backoff(self, item: Item) -> None:
        """outbox.js `backoff`: 2 s × 2^attempts (attempts ≤ 8), at most 300 s, ×0.5–1.5."""
        item.attempts += 1
        base = min(300.0, 2.0 * 2 ** min(item.attempts, 8)) * self.args.backoff_scale
        item.next = time.monotonic() + base * (0.5 + random.random())

    async def phone(self, index: int, endpoint: str) -> None:
        """One observer's phone: its outbox, flushed oldest first, as outbox.js `flushAll`."""
        queue: list[Item] = []
        while time.monotonic() < self.drain_until:
            now = time.monotonic()
            due = [i for i in queue if i.next <= now]
            if due:
                item = min(due, key=lambda i: i.created)
                verdict, _ = await self.send(item)
                if verdict in ("ack", "rejected"):
                    queue.remove(item)
                    continue
                self.backoff(item)
                if verdict == "network":  # offline: everything waits as long as this one
                    latest = max(i.next for i in queue)
                    for other in queue:
                        other.next = max(other.next, latest)
                continue
            if self.loading and len(queue) < self.args.queue:
                queue.append(self.new_item(index, endpoint))
                continue
            if not queue:
                return
            await asyncio.sleep(max(0.01, min(i.next for i in queue) - now))

    async def probe(self, fault: Fault, item: Item) -> None:
        """Send an in-flight report again every PROBE_EVERY s from the moment the server is back,
        until it is acknowledged (or finally refused)."""
        while time.monotonic() - fault.back < PROBE_FOR:
            if item.key in self.acked:
                break  # the phone's own retry got there first
            verdict, status = await self.send(item)
            fault.probe_codes[status] += 1
            if verdict == "rejected":
                return
            if verdict == "ack":
                break
            await asyncio.sleep(PROBE_EVERY)
        if item.key in self.acked:
            fault.accepted_after[item.key] = max(0.0, self.acked[item.key] - fault.back)


def _verdict(item: Item, status: int, answer: dict | None) -> str:
    """outbox.js `sendOne`: our answer saying accepted/review (or, from the reports API,
    recorded/duplicate) acknowledges; our rejection, or another 4xx than 408/409/425/429, is
    final; anything else (5xx, 409, 429, a foreign answer) is retried."""
    if answer is not None:
        said = answer.get("status")
        if item.endpoint == "observe" and answer.get("client_id") == item.key:
            if said in ("accepted", "review"):
                return "ack"
            if said == "rejected":
                return "rejected"
        reports_ack = status in (200, 201) and said in ("recorded", "duplicate")
        if item.endpoint == "reports" and reports_ack:
            return "ack"
    if 400 <= status < 500 and status not in RETRY_4XX:
        return "rejected"
    return "retry"


# --- the server and the database ------------------------------------------------------------------


class Server:
    """`baqylau serve` in a process group of its own, so that SIGKILL reaches every process."""

    def __init__(self, port: int, args, env: dict, log_dir: Path):
        self.port, self.args, self.env, self.log_dir = port, args, env, log_dir
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = open(self.log_dir / f"serve-{self.starts}.log", "wb")  # noqa: SIM115 - the child's
        cmd = _load.serve_command(self.port, self.args.workers, self.args.threads)
        self.process = subprocess.Popen(
            cmd, env=self.env, cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()

    def kill(self) -> None:
        """SIGKILL to the whole group (master, workers, background worker); returns when none
        of them runs any more."""
        pgid = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        self.process.wait()
        while _group_alive(pgid):
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        pgid = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
        deadline = time.monotonic() + 10
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)

    def errors_logged(self) -> tuple[int, int]:
        """('Internal Server Error' lines, tracebacks) in the server's logs."""
        text = "".join(
            p.read_text(errors="replace") for p in sorted(self.log_dir.glob("serve-*.log"))
        )
        return text.count("Internal Server Error"), text.count("Traceback (most recent")


def _group_alive(pgid: int) -> bool:
    """A process of group `pgid` still runs (zombies waiting for a parent do not count)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


class Postgres:
    """The local cluster, stopped and started with pg_ctlcluster (root). A detached watchdog
    starts it again should this process die while it is down."""

    def __init__(self, cluster: list[str]):
        self.cluster = cluster
        self.stopped = False
        self.watchdog: subprocess.Popen | None = None

    @staticmethod
    def ready() -> bool:
        return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], check=False).returncode == 0

    def _ctl(self, action: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", *self.cluster, action],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip

    def stop(self, watchdog_after: float) -> None:
        start = " ".join(["pg_ctlcluster", "--skip-systemctl-redirect", *self.cluster, "start"])
        self.watchdog = subprocess.Popen(
            ["sh", "-c", f"sleep {watchdog_after:.0f}; pg_isready -h 127.0.0.1 -q || {start}"],
            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.stopped = True
        self._ctl("stop")

    def start(self) -> None:
        if not self.stopped:
            return
        if not self.ready():
            with contextlib.suppress(subprocess.CalledProcessError):
                self._ctl("start")
        deadline = time.monotonic() + 60
        while not self.ready() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not self.ready():
            return  # the watchdog tries again
        self.stopped = False
        if self.watchdog is not None and self.watchdog.poll() is None:
            os.killpg(self.watchdog.pid, signal.SIGTERM)
            self.watchdog.wait()


def _pg_cluster() -> list[str] | None:
    """["<version>", "main"] when this machine runs a Debian PostgreSQL cluster we may control."""
    conf = Path("/etc/postgresql")
    if os.geteuid() != 0 or not shutil.which("pg_ctlcluster") or not conf.is_dir():
        return None
    versions = sorted(p.name for p in conf.iterdir() if (p / "main").is_dir())
    return [versions[-1], "main"] if versions else None


# --- the run --------------------------------------------------------------------------------------


async def _until_back(base: str, timeout: float = 120) -> float:
    """Poll the app manifest (no database) until it answers; the moment it does."""
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(base + _load.READY_PATH) as r:
                    if r.status == 200:
                        return time.monotonic()
            except (TimeoutError, aiohttp.ClientError):
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the server did not come back")


def _claimed(keys: list[str]) -> set[str]:
    """Those of `keys` whose observer-app receipt is "processing" (claimed by a request)."""
    from django.db import connections

    from baqylau.observer_app.models import ClientReceipt

    try:
        return {
            str(k)
            for k in ClientReceipt.objects.filter(
                key__in=keys, state=ClientReceipt.State.PROCESSING
            ).values_list("key", flat=True)
        }
    finally:
        connections.close_all()


async def _probe_all(run: Run, fault: Fault) -> None:
    await asyncio.gather(*(run.probe(fault, item) for item in fault.in_flight))


def _snapshot(run: Run, name: str) -> Fault:
    fault = Fault(name, time.monotonic())
    fault.in_flight = [run.items[k] for k, n in run.in_flight.items() if n > 0]
    return fault


def _took_effect(run: Run, fault: Fault) -> None:
    """The fault has hit: reports answered before it did were not caught in flight."""
    fault.done = time.monotonic()
    fault.in_flight = [i for i in fault.in_flight if i.key not in run.acked]


async def _kill(run: Run, server: Server, number: int) -> None:
    fault = _snapshot(run, f"kill -9 #{number}")
    await asyncio.to_thread(server.kill)
    _took_effect(run, fault)
    observe = [i.key for i in fault.in_flight if i.endpoint == "observe"]
    fault.claimed = await asyncio.to_thread(_claimed, observe)
    server.start()
    fault.back = await _until_back(run.base)
    run.faults.append(fault)
    await _probe_all(run, fault)


async def _outage(run: Run, postgres: Postgres) -> None:
    """Stop the cluster and start it again; the reports in flight are those open when the server
    answers its first 503 (the stop takes effect seconds after the command)."""
    fault = Fault("database stop/start", time.monotonic())
    run.outage = fault
    await asyncio.to_thread(postgres.stop, 30 + run.args.outage)
    run.outage = None
    fault.done = fault.done or time.monotonic()
    # about 1.5 s of the outage goes to starting the cluster again
    await asyncio.sleep(max(0.0, fault.started + run.args.outage - 1.5 - time.monotonic()))
    await asyncio.to_thread(postgres.start)
    fault.back = time.monotonic()
    fault.in_flight = [i for i in fault.in_flight if i.key not in run.acked]
    observe = [i.key for i in fault.in_flight if i.endpoint == "observe"]
    fault.claimed = await asyncio.to_thread(_claimed, observe)
    run.faults.append(fault)
    await _probe_all(run, fault)


async def _conduct(run: Run, server: Server, postgres: Postgres | None) -> None:
    args = run.args
    await asyncio.sleep(args.interval)
    for number in range(1, args.kills + 1):
        await _kill(run, server, number)
        await asyncio.sleep(args.interval)
    if postgres is not None:
        await _outage(run, postgres)
        await asyncio.sleep(args.interval)


async def _drive(run: Run, server: Server, postgres: Postgres | None) -> float:
    import aiohttp

    args = run.args
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=60)  # outbox.js TIMEOUT
    started = time.monotonic()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        run.session = session
        api_phones = round(args.clients * args.api_share)
        phones = [
            asyncio.create_task(run.phone(i, "reports" if i < api_phones else "observe"))
            for i in range(args.clients)
        ]
        try:
            await _conduct(run, server, postgres)
        finally:
            run.loading = False
            run.drain_until = time.monotonic() + args.drain
        await asyncio.gather(*phones)
    return time.monotonic() - started


# --- what was stored ------------------------------------------------------------------------------


@dataclass
class Stored:
    records: dict[str, list[int]]  # UUID → record ids stored for it
    with_photo: set[str]  # UUIDs whose stored record has its photo
    processing: int  # observer-app keys still "processing"
    failed: int  # observer-app keys left "failed" (never acknowledged)
    jobs: dict[str, int]


def _stored() -> Stored:
    """Every report record by the UUID in its envelope (the observer app's client_id, added by
    the server; the reports API's client_id, sent in the data)."""
    from django.db import connections
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from baqylau.evidence.models import MediaFile
    from baqylau.observer_app.models import ClientReceipt
    from baqylau.reports.models import Incident, TurnoutCount

    records: dict[str, list[int]] = collections.defaultdict(list)
    submissions: dict[str, set[str]] = collections.defaultdict(set)
    for model in (TurnoutCount, Incident):
        rows = model.objects.values_list("pk", "submission_id", "submission__payload")
        for pk, submission, payload in rows.iterator():
            key = str((payload.get("data") or {}).get("client_id", ""))
            records[key].append(pk)
            submissions[key].add(str(submission))
    with_files = {
        str(s) for s in MediaFile.objects.values_list("submission_id", flat=True).distinct()
    }
    states = dict(
        ClientReceipt.objects.values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    jobs = dict(
        DBTaskResult.objects.values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    connections.close_all()
    return Stored(
        records=dict(records),
        with_photo={k for k, subs in submissions.items() if subs & with_files},
        processing=states.get(ClientReceipt.State.PROCESSING, 0),
        failed=states.get(ClientReceipt.State.FAILED, 0),
        jobs=jobs,
    )


def _ledger_verify(env: dict) -> tuple[bool, str]:
    done = subprocess.run(
        [sys.executable, "-m", "baqylau", "ledger", "verify"],
        env=env, cwd=str(ROOT), capture_output=True, text=True, check=False,
    )  # fmt: skip
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return done.returncode == 0, " / ".join(lines[-3:])


# --- the figures ----------------------------------------------------------------------------------


def _seconds(values: list[float]) -> str:
    if not values:
        return "–"
    return f"median {statistics.median(values):.2f} s, max {max(values):.2f} s"


def _print_faults(run: Run) -> None:
    for fault in run.faults:
        observe = [i for i in fault.in_flight if i.endpoint == "observe"]
        api = [i for i in fault.in_flight if i.endpoint == "reports"]
        after = fault.accepted_after
        print(
            f"  {fault.name}: {fault.done - fault.started:.1f} s to take effect, back "
            f"{fault.back - fault.started:.1f} s after it began; in flight: {len(observe)} "
            f"observer-app keys ({len(fault.claimed)} left claimed) and {len(api)} reports-API "
            "reports"
        )
        claimed = [after[k] for k in fault.claimed if k in after]
        print(
            "    accepted again after the server was back — observer app: "
            f"{_seconds([after[i.key] for i in observe if i.key in after])}"
            f" (keys left claimed: {_seconds(claimed)}); reports API: "
            f"{_seconds([after[i.key] for i in api if i.key in after])}; not within "
            f"{PROBE_FOR:.0f} s: {sum(1 for i in fault.in_flight if i.key not in after)}"
        )
        print(f"    answers to the resends: {dict(sorted(fault.probe_codes.items()))}")


def _print_answers(run: Run) -> None:
    outage = next((f for f in run.faults if f.name.startswith("database")), None)
    window = (outage.started, outage.back + 1.0) if outage else (0.0, -1.0)
    during = [a for a in run.answers if window[0] <= a.at <= window[1]]
    other = [a for a in run.answers if not window[0] <= a.at <= window[1]]
    codes = collections.Counter(a.status for a in run.answers)
    print(f"  answers: {dict(sorted(codes.items()))} (0: network error or timeout)")
    if outage:
        print(
            f"  during the database outage ({outage.back - outage.started:.1f} s, +1 s): "
            f"503 with Retry-After {sum(a.status == 503 and a.retry_after for a in during)}, "
            f"503 without {sum(a.status == 503 and not a.retry_after for a in during)}, "
            f"other 5xx {sum(a.status >= 500 and a.status != 503 for a in during)} "
            f"(HTML 500s {sum(a.status == 500 and a.html for a in during)}), "
            f"network errors {sum(a.status == 0 for a in during)}, "
            f"2xx {sum(200 <= a.status < 300 for a in during)}; of the 503s, after the database "
            f"was back: {sum(a.status == 503 and a.at > outage.back for a in during)}"
        )
    print(
        f"  elsewhere: 503 {sum(a.status == 503 for a in other)}, other 5xx "
        f"{sum(a.status >= 500 and a.status != 503 for a in other)} (HTML 500s "
        f"{sum(a.status == 500 and a.html for a in other)}), network errors "
        f"{sum(a.status == 0 for a in other)}, 409 {sum(a.status == 409 for a in other)}"
    )


def _when(run: Run, at: float) -> str:
    """`at` relative to the nearest fault."""
    if not run.faults:
        return "no fault"
    fault = min(run.faults, key=lambda f: abs(at - f.started))
    return f"{at - fault.started:+.1f} s from the start of {fault.name}"


def _report(run: Run, stored: Stored) -> bool:
    """Prints the durability figures; True when nothing was lost or duplicated."""
    acked = set(run.acked)
    keys = set(run.items)
    stored_keys = {k for k in stored.records if k in keys}
    lost = acked - stored_keys
    duplicated = {k for k, ids in stored.records.items() if len(ids) > 1}
    two_answers = {k for k, ids in run.ack_records.items() if len(ids) > 1}
    photos = {k for k in acked if run.items[k].photo is not None}
    photos_lost = photos - stored.with_photo
    foreign = set(stored.records) - keys
    unacked = keys - acked - set(run.rejected)
    print(
        f"  reports: {len(keys)} sent, {len(acked)} acknowledged, {len(stored_keys)} stored, "
        f"{len(lost)} lost (acknowledged, not stored), {len(duplicated)} duplicated (one UUID, "
        f"two or more records), {len(two_answers)} acknowledged with two different records"
    )
    print(
        f"  photos: {len(photos)} acknowledged, {len(photos_lost)} lost; rejected: "
        f"{len(run.rejected)}; still queued at the end: {len(unacked)}"
        + (f"; records with an unknown UUID: {len(foreign)}" if foreign else "")
    )
    print(
        f"  observer-app keys left 'processing': {stored.processing}, 'failed': {stored.failed}; "
        f"background jobs: {dict(sorted(stored.jobs.items()))}"
    )
    for key, (at, reason) in list(run.rejected.items())[:3]:
        print(f"  ! rejected {key} ({_when(run, at)}): {reason}")
    for key in sorted(lost)[:5]:
        print(f"  ! lost {key} ({run.items[key].endpoint}, {run.items[key].kind})")
    for key in sorted(duplicated)[:5]:
        print(f"  ! duplicated {key}: records {stored.records[key]}")
    return not lost and not duplicated and not photos_lost and not two_answers


# --- main -----------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL (default: SQLite)")
    parser.add_argument("--clients", type=int, default=40, help="phones, one observer each")
    parser.add_argument("--api-share", type=float, default=0.25, help="share on the reports API")
    parser.add_argument("--queue", type=int, default=3, help="reports a phone holds at most")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--interval", type=float, default=10, help="load between faults (s)")
    parser.add_argument("--outage", type=float, default=6, help="database down (s, about)")
    parser.add_argument("--no-outage", action="store_true", help="kills only")
    parser.add_argument("--backoff-scale", type=float, default=0.25, help="1: the app's own")
    parser.add_argument("--drain", type=float, default=180, help="at most (s) after the load")
    parser.add_argument("--photo-every", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    cluster = None
    if args.database_url and not args.no_outage:
        cluster = _pg_cluster()
        if cluster is None:
            print("no database outage: pg_ctlcluster needs root and a local Debian cluster")
    data_dir = tempfile.mkdtemp(prefix="bq-faults-")
    if args.database_url:
        _load.create_pg_database(args.database_url)
    setup_django(data_dir, args.database_url)
    observers = _load.populate(args.clients)
    from django.db import connections

    connections.close_all()
    engine = "PostgreSQL" if args.database_url else "SQLite"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "LOG_LEVEL": "ERROR"}
    base = f"http://127.0.0.1:{_load.free_port()}"
    server = Server(int(base.rsplit(":", 1)[1]), args, env, Path(data_dir))
    postgres = Postgres(cluster) if cluster else None
    run = Run(args, base, observers, _load.photos())
    # SIGTERM (and ^C) must still reach the `finally`: the database is started again there.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        server.start()
        asyncio.run(_load.wait_ready(base))
        asyncio.run(_load.warm_up(base, args.workers))
        api = round(args.clients * args.api_share)
        print(
            f"{engine} · {args.workers} workers × {args.threads} threads · {args.clients} phones "
            f"({args.clients - api} observer app, {api} reports API) · {args.kills} × kill -9"
            + (f" and a {args.outage:.0f} s database stop/start" if postgres else "")
            + f" · backoff ×{args.backoff_scale}"
        )
        elapsed = asyncio.run(_drive(run, server, postgres))
    finally:
        if postgres is not None:
            postgres.start()
        server.stop()
    stored = _stored()
    print(f"  {elapsed:.0f} s of load and drain")
    _print_faults(run)
    _print_answers(run)
    ok = _report(run, stored)
    internal, tracebacks = server.errors_logged()
    print(f"  server log: {internal} 'Internal Server Error', {tracebacks} tracebacks")
    verified, summary = _ledger_verify(env)
    print(f"  baqylau ledger verify: {'passed' if verified else 'FAILED'} — {summary}")
    if args.keep:
        print(f"  data dir kept: {data_dir}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0 if ok and verified else 1


if __name__ == "__main__":
    sys.exit(main())
