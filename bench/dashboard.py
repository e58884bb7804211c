"""Benchmark of the public pages on a national-size election.

Loads a simulated election of 10,000 stations (`simulate` + `load_simulation`), then inserts
30,000 protocol copies (3 per observed station: Submission + ProtocolCopy + reconciled
StationResult with its lines and votes) and 1,000,000 voters' ballots (Submission + CrowdVoter +
CrowdBallot each) **directly into the tables**: rows are built as tuples, converted with each
field's `get_db_prep_save` (so UUIDs, JSON and datetimes are right on SQLite and PostgreSQL) and
written with `cursor.executemany` in batches of 20,000 inside one transaction — no model
instances, no signals. Then `rebuild_summaries` precomputes the figures, and the overview, a
region and a station page are each requested many times with Django's test client.

Prints the load and summarise times and p50/p95 per page (target p95 < 200 ms).

    python bench/dashboard.py                     # 10,000 stations, 30,000 copies, 1,000,000 ballots
    python bench/dashboard.py --ballots 100000    # smaller
    python bench/dashboard.py --requests 300

Uses a fresh SQLite database in a temporary BAQYLAU_DATA_DIR unless DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from _django import setup_django

ROOT = Path(__file__).resolve().parents[1]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--copies", type=int, default=30_000)
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per page (200)")
    parser.add_argument("--seed", type=int, default=2019)
    return parser.parse_args()


def setup(tmp: str) -> None:
    setup_django(os.environ.get("BAQYLAU_DATA_DIR", tmp), os.environ.get("DATABASE_URL"))


def insert(model, fields: list[str], rows, batch: int = 20_000) -> int:
    """executemany INSERT of tuples (in `fields` order) into the model's table."""
    from django.db import connection

    meta = model._meta
    columns = [meta.get_field(f) for f in fields]
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        connection.ops.quote_name(meta.db_table),
        ", ".join(connection.ops.quote_name(f.column) for f in columns),
        ", ".join(["%s"] * len(columns)),
    )
    n = 0
    chunk = []
    with connection.cursor() as cursor:
        for row in rows:
            chunk.append(
                tuple(f.get_db_prep_save(v, connection) for f, v in zip(columns, row, strict=True))
            )
            if len(chunk) >= batch:
                cursor.executemany(sql, chunk)
                n += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            n += len(chunk)
    return n


def load(args) -> dict:
    import numpy as np
    from django.db import transaction
    from django.utils import timezone

    from baqylau.crowd.models import CrowdBallot, CrowdVoter
    from baqylau.elections.models import AdminUnit
    from baqylau.intake.models import Submission
    from baqylau.protocols.models import ProtocolCopy, StationResult
    from baqylau.simulate.engine import LINES, SimulationConfig, simulate
    from baqylau.simulate.loader import load_simulation

    t0 = time.perf_counter()
    sim = simulate(SimulationConfig(seed=args.seed, n_stations=args.stations))
    election = load_simulation(sim, election_code="bench-dashboard", replace=True)
    contest = election.contests.get()
    t_sim = time.perf_counter() - t0

    t0 = time.perf_counter()
    station_ids = np.array(
        AdminUnit.objects.filter(election=election, kind="station")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    choice_ids = list(contest.choices.order_by("number", "code").values_list("pk", flat=True))
    rng = np.random.default_rng(args.seed)
    day = timezone.make_aware(dt.datetime.combine(election.date, dt.time(8)))
    observed = np.flatnonzero(sim.observed)
    per = max(1, args.copies // max(1, observed.size))
    copy_station = np.repeat(observed, per)[: args.copies]
    extra = args.copies - copy_station.size  # a few stations get one copy more
    if extra > 0:
        copy_station = np.concatenate([copy_station, rng.choice(observed, extra, replace=False)])
    signed_lines, signed_votes = sim.lines("signed"), sim.votes("signed")
    with transaction.atomic():
        # protocol copies: Submission + ProtocolCopy (accepted)
        sub_ids = [uuid.uuid4() for _ in range(copy_station.size)]
        insert(
            Submission,
            ["id", "election", "channel", "kind", "sender", "received_at", "payload",
             "payload_sha256", "language"],
            (
                (sid, election.pk, "telegram", "protocol", f"OBS-{i % 9000:05d}",
                 day + dt.timedelta(hours=12), {}, "0" * 64, "ru")
                for i, sid in enumerate(sub_ids)
            ),
        )  # fmt: skip
        insert(
            ProtocolCopy,
            ["submission", "contest", "station", "source", "source_ref", "received_at",
             "pages_received", "validation", "findings", "moderation"],
            (
                (sid, contest.pk, int(station_ids[s]), "observer", "", day + dt.timedelta(hours=12),
                 2, "accepted", [], "accepted")
                for sid, s in zip(sub_ids, copy_station.tolist(), strict=True)
            ),
        )  # fmt: skip
        # reconciled results of the observed stations (the signed protocol)
        copies_of: dict[int, list[int]] = {}
        for station_pk, copy_pk in (
            ProtocolCopy.objects.filter(contest=contest).order_by("pk").values_list("station", "pk")
        ):
            copies_of.setdefault(station_pk, []).append(copy_pk)
        insert(
            StationResult,
            [
                "contest",
                "station",
                "status",
                "copies_count",
                "lines",
                "votes",
                "copy_ids",
                "updated_at",
            ],
            (
                (
                    contest.pk,
                    int(station_ids[s]),
                    "agreed",
                    per,
                    {code: int(signed_lines[s, j]) for j, code in enumerate(LINES)},
                    {str(cid): int(signed_votes[s, j]) for j, cid in enumerate(choice_ids)},
                    copies_of.get(int(station_ids[s]), []),
                    day,
                )
                for s in observed.tolist()
            ),
        )
        # voters' ballots: Submission + CrowdVoter + CrowdBallot, one voter each
        n = args.ballots
        weights = sim.registered / sim.registered.sum()
        ballot_station = rng.choice(station_ids.size, size=n, p=weights)
        true_votes = sim.votes("true").astype(float)
        share = true_votes / np.maximum(true_votes.sum(axis=1, keepdims=True), 1)
        u = rng.random(n)
        pick = (share[ballot_station].cumsum(axis=1) < u[:, None]).sum(axis=1)
        pick = np.minimum(pick, len(choice_ids) - 1)
        category = np.where(rng.random(n) < 0.05, "spam", "valid")
        minutes = rng.integers(0, 12 * 60, size=n)
        crowd_subs = [uuid.uuid4() for _ in range(n)]
        hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(n)]
        insert(
            Submission,
            ["id", "election", "channel", "kind", "sender", "received_at", "payload",
             "payload_sha256", "language"],
            (
                (crowd_subs[i], election.pk, "telegram", "crowd_ballot", hashes[i][:32],
                 day + dt.timedelta(minutes=int(minutes[i])), {}, "0" * 64, "ru")
                for i in range(n)
            ),
        )  # fmt: skip
        first_voter = (
            CrowdVoter.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        ) + 1
        insert(
            CrowdVoter,
            ["id", "voter_hash", "election", "station", "language", "first_seen", "messages",
             "recent_times", "recent_digests", "new_account", "spam", "spam_reasons"],
            (
                (first_voter + i, hashes[i], election.pk, int(station_ids[ballot_station[i]]), "ru",
                 day, 1, [], [], False, category[i] == "spam", [])
                for i in range(n)
            ),
        )  # fmt: skip
        insert(
            CrowdBallot,
            ["submission", "voter", "contest", "station", "category", "choice", "perceptual_hash",
             "counted", "spam_reasons", "created_at"],
            (
                (crowd_subs[i], first_voter + i, contest.pk, int(station_ids[ballot_station[i]]),
                 str(category[i]), choice_ids[pick[i]] if category[i] == "valid" else None, "",
                 category[i] == "valid", [], day + dt.timedelta(minutes=int(minutes[i])))
                for i in range(n)
            ),
        )  # fmt: skip
    t_load = time.perf_counter() - t0
    return {"election": election, "t_sim": t_sim, "t_load": t_load, "copies": copy_station.size}


def measure(client, url: str, n: int) -> tuple[float, float]:
    client.get(url)  # warm-up
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="baqylau-bench-") as tmp:
        setup(tmp)
        from django.test import Client

        from baqylau.dashboard.services import rebuild_summaries
        from baqylau.elections.models import AdminUnit

        data = load(args)
        election = data["election"]
        print(f"simulated + loaded {args.stations:,} stations: {data['t_sim']:.1f} s")
        print(
            f"inserted {data['copies']:,} protocol copies and {args.ballots:,} crowd ballots: "
            f"{data['t_load']:.1f} s"
        )
        t0 = time.perf_counter()
        rebuild_summaries(election)
        print(f"baqylau summarize (rebuild_summaries): {time.perf_counter() - t0:.1f} s")

        country = AdminUnit.objects.get(election=election, depth=0)
        region = AdminUnit.objects.filter(election=election, depth=1).order_by("code")[1]
        station = (
            AdminUnit.objects.filter(
                election=election, kind="station", station_results__isnull=False
            )
            .order_by("pk")
            .first()
        )
        client = Client(HTTP_HOST="127.0.0.1")
        pages = {
            "overview (country)": f"/ru/e/{election.code}/u/{country.id}/",
            "region": f"/ru/e/{election.code}/u/{region.id}/",
            "station": f"/ru/e/{election.code}/u/{station.id}/",
        }
        print(f"{'page':<20} {'p50 ms':>8} {'p95 ms':>8}  ({args.requests} requests each)")
        worst = 0.0
        for name, url in pages.items():
            p50, p95 = measure(client, url, args.requests)
            worst = max(worst, p95)
            print(f"{name:<20} {p50:8.1f} {p95:8.1f}")
        print("target p95 < 200 ms:", "met" if worst < 200 else "NOT met")


if __name__ == "__main__":
    main()
