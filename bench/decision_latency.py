"""From a moderator's decision to the updated public page, and what the incremental recount saves.

    python bench/decision_latency.py [--stations 10000] [--decisions 10] [--database-url URL]

1. Loads a simulated election (``--stations``) with three observers' copies from every observed
   station, sent through the real intake with typos (``--typo-rate``), plus a fourth copy with a
   misread figure at ``--decisions`` stations, whose copies then disagree and wait for a
   moderator; counts it once.
2. Starts the real `baqylau serve` (which starts its background worker) on a free port.
3. ``--decisions`` times: a moderator accepts one copy of a station whose copies disagree (the
   moderation service, as the moderation page calls it), and the benchmark polls that station's
   public page until it says "settled by a moderator", and its district's page until the count
   shows the change. Prints each delay, the median and the worst. Target: under 2 s at 10,000
   stations.
4. In this process, on the same database: the cost of the incremental recount of one station
   (its reconciliation, its ancestors' counts and findings, then their public summaries: what
   the urgent job does) against a full recount of the contest (then every unit's summary),
   median of ``--repeat`` runs each, and the ratio; and the cost of the estimates' job that
   follows.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np

import _load
from _django import ROOT, setup_django


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def _wait_until(check, timeout: float, step: float = 0.05) -> float | None:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if check():
            return time.perf_counter() - started
        time.sleep(step)
    return None


def load(stations: int, typo_rate: float, disputes: int) -> tuple:
    from baqylau.jobs.worker import run_until_idle
    from baqylau.simulate.copies import make_copies
    from baqylau.simulate.engine import SimulationConfig, simulate
    from baqylau.simulate.intake import submit_copies
    from baqylau.simulate.loader import load_simulation

    started = time.perf_counter()
    sim = simulate(SimulationConfig(seed=2019, n_stations=stations))
    election = load_simulation(sim, election_code="bench-decisions")
    contest = election.contests.get()
    copies = make_copies(sim, k=3, typo_rate=typo_rate, seed=1, stations=sim.observed)
    submit_copies(contest, sim, copies)
    # a fourth observer's copy at some stations, with one figure misread (L4 one too high, which
    # still passes the checks): their copies disagree and wait for a moderator
    disputed = np.flatnonzero(sim.observed)[:disputes]
    extra = make_copies(sim, k=1, seed=2, stations=disputed)
    lines = extra.lines.copy()
    lines[:, list(extra.line_codes).index("L4")] += 1
    submit_copies(contest, sim, dataclasses.replace(extra, lines=lines, number=extra.number + 3))
    run_until_idle(timeout=600)
    print(
        f"loaded {stations:,} stations and {copies.size:,} copies through the intake, counted: "
        f"{time.perf_counter() - started:.1f} s"
    )
    return election, contest


def decide_and_wait(base: str, election, contest, decisions: int) -> list[float]:
    from django.contrib.auth import get_user_model

    from baqylau.moderation.services import decision_create
    from baqylau.protocols.models import ProtocolCopy
    from baqylau.tally.models import StationResult

    moderator, _ = get_user_model().objects.get_or_create(username="bench-moderator")
    waiting = list(
        StationResult.objects.filter(contest=contest, status="conflict")
        .select_related("station__parent")
        .order_by("station__path")[:decisions]
    )
    if len(waiting) < decisions:
        print(f"only {len(waiting)} stations with copies that disagree (raise --typo-rate)")
    delays = []
    for result in waiting:
        station = result.station
        copy = ProtocolCopy.objects.filter(pk__in=result.copy_ids).order_by("pk").first()
        station_url = f"{base}/en/e/{election.code}/u/{station.pk}/"
        district_url = f"{base}/en/e/{election.code}/u/{station.parent_id}/"
        before = _get(district_url)
        started = time.perf_counter()
        decision_create(copy=copy, moderator=moderator, verdict="accept")
        station_delay = _wait_until(lambda u=station_url: "settled by a moderator" in _get(u), 30)
        district_delay = _wait_until(lambda u=district_url, b=before: _get(u) != b, 30)
        total = time.perf_counter() - started
        if station_delay is None or district_delay is None:
            print(f"  station {station.path}: NOT updated within 30 s")
            continue
        delays.append(total)
        print(
            f"  station {station.path}: its page {station_delay:.2f} s, its district's "
            f"{total:.2f} s after the decision"
        )
    return delays


def recount_costs(election, contest, repeat: int) -> None:
    from baqylau.dashboard.services import rebuild_summaries
    from baqylau.tally.models import StationResult
    from baqylau.tally.services import recount, refresh_estimates

    station_ids = list(
        StationResult.objects.filter(contest=contest).values_list("station_id", flat=True)[:repeat]
    )

    def timed(func) -> float:
        started = time.perf_counter()
        func()
        return time.perf_counter() - started

    def incremental(station: int) -> None:  # what the urgent job does after a decision
        summary = recount(contest, stations=[station], estimates=False)
        rebuild_summaries(election, summary.unit_ids)

    inc = statistics.median(timed(lambda s=s: incremental(s)) for s in station_ids)
    est = statistics.median(timed(lambda: refresh_estimates(contest)) for _ in range(repeat))
    whole = statistics.median(
        timed(lambda: (recount(contest), rebuild_summaries(election))) for _ in range(repeat)
    )
    print(
        f"recount and public summaries, median of {repeat}: one station (incremental) "
        f"{inc * 1000:.0f} ms, the whole contest {whole * 1000:.0f} ms: "
        f"{whole / inc:.1f}x less work for a decision; the estimates of every unit, rewritten "
        f"by a job of their own after the pages: {est * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--decisions", type=int, default=10)
    parser.add_argument("--typo-rate", type=float, default=0.03)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="bq-bench-decisions-")
    setup_django(data_dir, args.database_url)
    election, contest = load(args.stations, args.typo_rate, args.decisions)

    port = _load.free_port()
    env = {**os.environ, "BAQYLAU_DATA_DIR": data_dir, "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen(
        [sys.executable, "-m", "baqylau", "serve", "--port", str(port)],
        env=env,
        cwd=str(ROOT),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        if _wait_until(lambda: _try(f"{base}/en/"), 60, 0.2) is None:
            raise SystemExit("the server did not start")
        print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}; server: baqylau serve")
        delays = decide_and_wait(base, election, contest, args.decisions)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if delays:
        print(
            f"decision → public pages updated (station and district), {len(delays)} decisions: "
            f"median {statistics.median(delays):.2f} s, worst {max(delays):.2f} s "
            f"(target < 2 s at 10,000 stations)"
        )
    recount_costs(election, contest, args.repeat)


def _try(url: str) -> bool:
    try:
        _get(url)
    except OSError:
        return False
    return True


if __name__ == "__main__":
    main()
