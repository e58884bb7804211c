"""The attack library: realistic genuine voters and determined attackers against the voters' bot.

Genuine voters photograph *this election's ballot form* with their own mark (generated:
`baqylau.simulate.ballot_photos` — angles, light, blur, noise, JPEG) and do what the bot asks:
share their own phone number with the contact button first (so they are phone-verified and
every later message takes the fast lane), then give their station, send the photo and give
their choice, at human pace. Attackers never share a phone (one phone is one vote per
election). Attackers (issue 14's table, plus a fake-clone campaign):

    aged-unique        aged accounts (ids below the reference), one distinct ballot-like photo
                       each (another form: the attacker has no real ballot), human timing
    aged-one-station   the same, every account at its own station
    aged-slow          2,000 aged accounts sending 5 messages/s in all
    new-unique         new accounts (ids above the reference), distinct photos
    aged-near-copy     aged accounts sending near-copies of a few photos of the real form
    fake-clone         a clone bot harvests genuine voters' photos; aged accounts send them on
                       (re-encoded) with the attacker's choice, just before or after the voter

Every update goes through the real handler (`Dispatcher.feed_raw_update`, middleware, services,
database) with bench/bot_spam.py's recording Bot API session. Each photo's display copy and its
match with the uploaded sample ballot are made by the job worker (`baqylau worker` in a process
of its own, as in production), off the reply path.

Genuine reply times are given for all of a voter's messages and for those sent after the
verification (station, photo, choice; the contact itself takes the fast lane as the sender's own
contact), and per message. Prints per attack: spam share of the headline "from voters" figure (by default the tally's own
rule, `tally.selectors.crowd_headline`: counted, verified tier, not held, not spam —
`--headline`), genuine votes kept (of the phone-verified genuine voters), genuine ballots marked
spam, genuine reply p50/p95, the
duplicate-photo lookup cost per photo over the run, and how long the run and the job backlog
took. The index's cost from 1,000 to 100,000 photos is measured directly by
``bench/photo_index.py cost``.

`--processes N` runs the bot in N processes, as N webhook workers behind one socket would
(`baqylau bot run --mode webhook --workers N`): each has its own Bot, Dispatcher and lanes and
feeds the accounts with `user_id % N` equal to its number, on the same schedule as one process
(every process draws every account's start from the one seeded stream; an account's pauses come
from its own), from one common wall-clock start; "attack done" is when the last one is. The job
worker and the draining stay in the parent.

    python bench/bot_attacks.py --attack aged-unique --duration 20 --database-url postgres://…
    python bench/bot_attacks.py --attack all --duration 60 --database-url postgres://…
    python bench/bot_attacks.py --attack aged-unique --processes 2 --database-url postgres://…
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _django import setup_django

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_ID = 6_000_000_000


@dataclass(frozen=True)
class Attack:
    name: str
    accounts: int
    aged: bool
    photos: str  # "unique" | "near-copy" | "clone"
    one_station: bool = False
    rate: float | None = None  # messages per second in all (None: human timing, spread)


ATTACKS = {
    "aged-unique": Attack("aged-unique", 1333, aged=True, photos="unique"),
    "aged-one-station": Attack(
        "aged-one-station", 1333, aged=True, photos="unique", one_station=True
    ),
    "aged-slow": Attack("aged-slow", 2000, aged=True, photos="unique", rate=5.0),
    "new-unique": Attack("new-unique", 1333, aged=False, photos="unique"),
    "aged-near-copy": Attack("aged-near-copy", 2000, aged=True, photos="near-copy"),
    "fake-clone": Attack("fake-clone", 200, aged=True, photos="clone"),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attack", default="aged-unique", help="one of the names above, or all")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of attack (60)")
    parser.add_argument("--voters", type=int, default=200, help="genuine voters (200)")
    parser.add_argument(
        "--scale",
        type=float,
        default=0.0,
        help="share of the attack's accounts (default: duration/60)",
    )
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--headline",
        choices=("verified", "photo", "counted"),
        default="verified",
        help="headline: the tally's verified tiers (default), photo-matched only, or all counted",
    )
    parser.add_argument("--database-url", default="", help="PostgreSQL (default: SQLite)")
    parser.add_argument(
        "--photo-cache", default=str(Path(tempfile.gettempdir()) / "baqylau-ballots")
    )
    parser.add_argument(
        "--drain",
        type=float,
        default=300.0,
        help="seconds to wait for the photo-match backlog after the attack",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="bot processes (1), as webhook workers behind one socket: each runs the accounts "
        "with user_id %% N == its number",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    return args


# ---------------------------------------------------------------------------------------------
# photos (generated once, cached on disk: generation is not part of the attack's time)


def photo_pool(cache: Path, kind: str, count: int, seed: int, make) -> list[bytes]:
    folder = cache / f"v2-{kind}-{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    photos = []
    for n in range(count):
        path = folder / f"{n:05d}.jpg"
        if not path.exists():
            # each pool its own random stream: the same seed would give the same angle and light
            # to genuine voter n and the attacker's base photo n (near-duplicates by construction)
            path.write_bytes(make(random.Random(f"{kind}-{seed}-{n}"), n))
        photos.append(path.read_bytes())
    return photos


def genuine_photos(args, form, count: int) -> list[tuple[int, bytes]]:
    """(marked row, photo) per genuine voter."""
    from baqylau.simulate import ballot_photos as bp

    rows = [random.Random(args.seed * 31 + n).randrange(len(form.names)) for n in range(count)]
    photos = photo_pool(
        Path(args.photo_cache),
        "genuine",
        count,
        args.seed,
        lambda rng, n: bp.ballot_photo(form, rows[n], rng),
    )
    return list(zip(rows, photos, strict=True))


def attacker_pool(args, form, attack: Attack, count: int) -> list[bytes]:
    """The attacker's photos on disk: distinct ones (unique), the bases of the near-copies, or
    none (a clone sends the genuine voters' photos on)."""
    from baqylau.simulate import ballot_photos as bp

    if attack.photos == "unique":
        # distinct ballot-like photos of forms that are not this election's
        return photo_pool(
            Path(args.photo_cache),
            "unique",
            count,
            args.seed,
            lambda rng, n: bp.ballot_photo(bp.other_form(rng), 0, rng),
        )
    if attack.photos == "near-copy":
        return photo_pool(
            Path(args.photo_cache), "bases", 5, args.seed, lambda r, n: bp.ballot_photo(form, 1, r)
        )
    return []


def attacker_photos(args, form, attack: Attack, count: int, genuine: list[bytes]) -> list[bytes]:
    from baqylau.simulate import ballot_photos as bp

    pool = attacker_pool(args, form, attack, count)
    if attack.photos == "unique":
        return pool
    rng = random.Random(args.seed + 7)
    if attack.photos == "near-copy":
        return [bp.near_copy(pool[n % len(pool)], rng) for n in range(count)]
    return [bp.near_copy(genuine[n % len(genuine)], rng) for n in range(count)]  # clone


# ---------------------------------------------------------------------------------------------
# the election, the sample ballot, the job worker


def make_setup(stations: int, form, code: str):
    from django.contrib.auth import get_user_model

    from baqylau.crowd.services import sample_ballot_upload
    from baqylau.simulate import ballot_photos as bp
    from bot_spam import make_election

    contest = make_election(stations, code)
    staff = get_user_model().objects.filter(username="bench-staff").first()
    staff = staff or get_user_model().objects.create_superuser("bench-staff", password="x")
    sample_ballot_upload(contest=contest, data=bp.png_bytes(bp.render_form(form)), user=staff)
    return contest


class Worker:
    """`baqylau worker` in its own process while the attack goes on, as in production (the photo
    matches must not take the bot's CPU time under the same interpreter lock)."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "baqylau", "worker", "--no-schedule", "--interval", "0.2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# ---------------------------------------------------------------------------------------------
# the run


class Timed:
    """Wraps the duplicate lookup to time it per photo: (wall-clock time, seconds) per lookup, so
    that the samples of several bot processes merge in the order they were taken."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []

    def install(self) -> None:
        from baqylau.crowd import services

        original = services.photo_duplicate_find

        def timed(*a, **k):
            t = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                self.samples.append((time.time(), time.perf_counter() - t))

        services.photo_duplicate_find = timed


def spam_accounts(args, attack: Attack) -> int:
    scale = args.scale or min(1.0, args.duration / 60)
    accounts = max(1, int(attack.accounts * scale))
    if attack.rate:
        accounts = min(accounts, max(1, int(attack.rate * args.duration / 3)))
    if attack.photos == "clone":
        accounts = min(accounts, args.voters)
    return accounts


def account_ids(args, attack: Attack, offset: int) -> tuple[list[int], list[int]]:
    """(genuine voters, spam accounts); ids are shifted by `offset` so that the attacks run one
    after another in one database do not share accounts."""
    genuine = [100_000_000 + offset + n * 7919 for n in range(args.voters)]
    spam = [
        (REFERENCE_ID - 1 - offset - n * 13 if attack.aged else REFERENCE_ID + offset + n)
        for n in range(spam_accounts(args, attack))
    ]
    return genuine, spam


async def run_attack(
    args, attack: Attack, form, contest, offset: int, shard: int = 0, shards: int = 1, ready=None
) -> dict:
    """One attack on its own election, or the share of it of one of `shards` bot processes: the
    accounts with `user_id % shards == shard`. Every process draws the whole schedule (the same
    seeded draws for every account), so the shards together are exactly the one-process attack.
    `ready()`, when given, is awaited once everything is prepared and returns the common
    wall-clock start (`time.time()`); else the attack starts at once. Returns this process's raw
    samples (`merge` makes the figures)."""
    from aiogram import Bot
    from asgiref.sync import sync_to_async

    from baqylau.bots.runtime import make_dispatcher
    from bot_spam import Updates, recording_session_class

    rng = random.Random(args.seed)
    duration = args.duration

    session = recording_session_class()()
    bot = Bot(token="222:bench", session=session)
    dispatcher = make_dispatcher("bayge")
    updates = Updates(session, first=1 + shard, step=shards)
    envelope = updates.message

    def photo(user_id: int, data: bytes) -> dict:
        return updates.photo(user_id, data, width=960, height=1280)

    def callback(user_id: int, suffix: str) -> dict:
        options = session.keyboards.get(user_id) or ["np"]
        return updates.callback(
            user_id, next((o for o in options if o.endswith(":" + suffix)), options[0])
        )

    choices = await sync_to_async(lambda: list(contest.choices.order_by("number")))()
    choice_of_row = {n: "c" + str(c.pk) for n, c in enumerate(choices)}
    pro_government = "c" + str(next(c.pk for c in choices if c.code == "nur-otan"))

    genuine = genuine_photos(args, form, args.voters)
    genuine_ids, spam_ids = account_ids(args, attack, offset)
    spam_photos = attacker_photos(args, form, attack, len(spam_ids), [p for _, p in genuine])
    stations = [str(n) for n in range(1, args.stations + 1)]

    latencies: list[float] = []
    voting: list[float] = []  # replies to a verified voter's photo and choice (the fast lane)
    by_step: dict[str, list[float]] = {}  # station, contact, photo, choice
    errors: list[str] = []

    async def feed(
        update: dict, user_id: int, genuine_voter: bool, verified: bool = False, step: str = ""
    ) -> None:
        before = len(session.replies[user_id])
        fed = time.perf_counter()
        try:
            await dispatcher.feed_raw_update(bot, update)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            errors.append(repr(exc))
        if genuine_voter:
            replies = session.replies[user_id][before:]
            latencies.append((replies[0] - fed) if replies else float("inf"))
            by_step.setdefault(step, []).append(latencies[-1])
            if verified:
                voting.append(latencies[-1])

    gap = (3.0, min(12.0, max(4.0, duration / 5)))
    voter_start = {uid: rng.uniform(0, max(0.0, duration - 3 * gap[1])) for uid in genuine_ids}
    start_at = 0.0  # set just before the accounts start

    async def at(moment: float) -> None:
        delay = start_at + moment - time.time()
        if delay > 0:
            await asyncio.sleep(delay)

    def own_rng(user_id: int) -> random.Random:
        """The account's draws during the attack (its pauses, its station), its own stream: the
        same whichever process runs it and whatever else runs beside it."""
        return random.Random(f"{args.seed}-{user_id}")

    def contact(user_id: int) -> dict:
        """The contact button: the voter's own number (Telegram fills user_id with the sender)."""
        phone = f"+7701{user_id % 10**7:07d}"
        return envelope(
            user_id, contact={"phone_number": phone, "first_name": "v", "user_id": user_id}
        )

    async def genuine_voter(n: int, user_id: int) -> None:
        row, data = genuine[n]
        pauses = own_rng(user_id)
        await at(voter_start[user_id])
        # as the bot asks: the phone first (the contact button), then the station
        await feed(contact(user_id), user_id, True, step="contact")
        await asyncio.sleep(pauses.uniform(1.0, 3.0))
        station = stations[n % len(stations)]
        await feed(envelope(user_id, text=station), user_id, True, verified=True, step="station")
        await asyncio.sleep(pauses.uniform(*gap))
        await feed(photo(user_id, data), user_id, True, verified=True, step="photo")
        await asyncio.sleep(pauses.uniform(*gap))
        choice = callback(user_id, choice_of_row[row])
        await feed(choice, user_id, True, verified=True, step="choice")

    async def attacker(n: int, user_id: int, start: float, gaps: tuple[float, float]) -> None:
        draws = own_rng(user_id)
        await at(start)
        station = stations[n % len(stations)] if attack.one_station else draws.choice(stations)
        await feed(envelope(user_id, text=station), user_id, False)
        await asyncio.sleep(draws.uniform(*gaps))
        await feed(photo(user_id, spam_photos[n]), user_id, False)
        await asyncio.sleep(draws.uniform(*gaps))
        await feed(callback(user_id, pro_government), user_id, False)

    plan: list[tuple[int, int, float, tuple[float, float]]] = []  # every account's start
    for n, uid in enumerate(spam_ids):
        if attack.photos == "clone":
            # the clone got the voter's photo; half are sent on before the voter, half after
            lead = rng.uniform(-6, -2) if n % 2 else rng.uniform(8, 14)
            start, gaps = max(0.0, voter_start[genuine_ids[n]] + lead), (1.0, 3.0)
        elif attack.rate:
            start, gaps = 3 * n / attack.rate, (0.0, 0.05)
        else:
            start, gaps = rng.uniform(0, max(0.0, duration - 3 * gap[1])), gap
        plan.append((n, uid, start, gaps))

    start_at = await ready() if ready is not None else time.time()
    mine = [
        *(genuine_voter(n, uid) for n, uid in enumerate(genuine_ids) if uid % shards == shard),
        *(attacker(n, uid, s, g) for n, uid, s, g in plan if uid % shards == shard),
    ]
    await asyncio.gather(*(asyncio.create_task(c) for c in mine))
    attack_s = time.time() - start_at
    await bot.session.close()
    return {
        "start_at": start_at,
        "attack_s": attack_s,
        "latencies": latencies,
        "voting": voting,
        "by_step": by_step,
        "errors": errors,
    }


def merge(args, attack: Attack, contest, offset: int, parts: list[dict]) -> dict:
    """The figures of the attack from the samples of its bot processes: the latencies together,
    the attack done when the last process is (each measured from the common start)."""
    from baqylau.bots import keys
    from baqylau.crowd.abuse import percentile

    latencies = [x for part in parts for x in part["latencies"]]
    voting = [x for part in parts for x in part["voting"]]
    errors = [e for part in parts for e in part["errors"]]
    by_step: dict[str, list[float]] = {}
    for part in parts:
        for step, xs in part["by_step"].items():
            by_step.setdefault(step, []).extend(xs)
    genuine_ids, spam_ids = account_ids(args, attack, offset)
    finite = [x for x in latencies if x != float("inf")]
    return {
        "attack": attack.name,
        "bot_processes": len(parts),
        "spam_accounts": len(spam_ids),
        "genuine_voters": args.voters,
        "attack_s": round(max(part["attack_s"] for part in parts), 1),
        "attack_s_by_process": [round(part["attack_s"], 1) for part in parts],
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "genuine_replies_missing": len(latencies) - len(finite),
        "genuine_p50_s": round(percentile(finite, 50), 3) if finite else None,
        "genuine_p95_s": round(percentile(finite, 95), 3) if finite else None,
        "genuine_p95_by_step_s": {
            step: round(percentile([x for x in xs if x != float("inf")] or [0.0], 95), 3)
            for step, xs in by_step.items()
        },
        "genuine_voting_p95_s": (
            round(percentile([x for x in voting if x != float("inf")], 95), 3) if voting else None
        ),
        "_hashes": (
            [keys.id_hash("user", uid) for uid in genuine_ids],
            [keys.id_hash("user", uid) for uid in spam_ids],
        ),
        "_contest": contest,
    }


# ---------------------------------------------------------------------------------------------
# several bot processes (as N webhook workers behind one socket)


def bot_process(conn, args, name: str, contest_id: int, offset: int, shard: int, data_dir: str):
    """One bot process of `--processes`: Django as in the parent (no migration), its own Bot and
    Dispatcher, its share of the accounts. Sends "ready", receives the common start, sends its
    samples and its duplicate-lookup timings back (or the traceback of its failure)."""
    import traceback

    try:
        setup_django(
            data_dir, args.database_url or None, migrate=False, BAYGE_BOT_TOKEN="222:bench"
        )
        from baqylau.elections.models import Contest
        from baqylau.simulate import ballot_photos as bp

        timer = Timed()
        timer.install()
        contest = Contest.objects.get(pk=contest_id)

        async def ready() -> float:
            conn.send(("ready", None))
            return await asyncio.to_thread(conn.recv)

        part = asyncio.run(
            run_attack(
                args,
                ATTACKS[name],
                bp.kz_party_list_form(),
                contest,
                offset,
                shard,
                args.processes,
                ready,
            )
        )
        conn.send(("done", {**part, "lookups": timer.samples}))
    except BaseException:  # noqa: BLE001 - handed to the parent, which stops the run
        conn.send(("failed", traceback.format_exc()))
    finally:
        from django.db import connections

        connections.close_all()
        conn.close()


def run_processes(args, attack: Attack, contest, offset: int, data_dir: str) -> list[dict]:
    """The attack in `args.processes` bot processes, each with its share of the accounts, all
    starting at one wall-clock moment once every one is ready."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    pipes, children = [], []
    for shard in range(args.processes):
        mine, theirs = context.Pipe()
        child = context.Process(
            target=bot_process,
            args=(theirs, args, attack.name, contest.pk, offset, shard, data_dir),
            daemon=True,
        )
        child.start()
        theirs.close()
        pipes.append(mine)
        children.append(child)
    try:
        for conn in pipes:
            answer(conn, "ready")
        start_at = time.time() + 0.5
        for conn in pipes:
            conn.send(start_at)
        return [answer(conn, "done") for conn in pipes]
    finally:
        for child in children:
            child.join(timeout=30)
            if child.is_alive():
                child.terminate()


def answer(conn, expected: str):
    try:
        kind, payload = conn.recv()
    except EOFError:
        raise RuntimeError("a bot process ended without an answer") from None
    if kind != expected:
        raise RuntimeError(f"a bot process failed:\n{payload}")
    return payload


def figures(result: dict, headline: str) -> dict:
    from baqylau.crowd.models import CrowdBallot
    from baqylau.tally.selectors import crowd_headline

    genuine_hashes, spam_hashes = result.pop("_hashes")
    contest = result.pop("_contest")
    counted = CrowdBallot.objects.filter(contest=contest, counted=True)
    if headline == "verified":  # the tally's one rule for the "from voters" figures
        counted = crowd_headline(CrowdBallot.objects.filter(contest=contest))
    elif headline == "photo":
        # matched to this election's ballot, and the marked box (where located) agrees with
        # the declared choice: a harvested photo sent with another choice does not
        counted = counted.filter(photo_match=True).exclude(photo_choice_agrees=False)
    genuine_in = counted.filter(voter__voter_hash__in=genuine_hashes).count()
    spam_in = counted.filter(voter__voter_hash__in=spam_hashes).count()
    total = genuine_in + spam_in
    genuine = CrowdBallot.objects.filter(contest=contest, voter__voter_hash__in=genuine_hashes)
    spam = CrowdBallot.objects.filter(contest=contest, voter__voter_hash__in=spam_hashes)
    result.update(
        headline=headline,
        headline_total=total,
        spam_in_headline=spam_in,
        spam_share_of_headline=round(spam_in / total, 4) if total else None,
        genuine_counted_in_headline=genuine_in,
        genuine_counted_any_tier=genuine.filter(counted=True).count(),
        genuine_marked_spam=genuine.filter(category="spam").count(),
        genuine_phone_verified=genuine.filter(tier="phone_verified").count(),
        genuine_held=genuine.filter(held=True).count(),
        spam_held=spam.filter(held=True).count(),
        genuine_photo_matched=genuine.filter(photo_match=True).count(),
        genuine_choice_agrees=genuine.filter(photo_choice_agrees=True).count(),
        spam_ballots=spam.count(),
        spam_counted_any_tier=spam.filter(counted=True).count(),
        spam_photo_matched=spam.filter(photo_match=True).count(),
        spam_marked_duplicate=spam.filter(duplicate_of__isnull=False).count(),
        photos_not_matched_yet=CrowdBallot.objects.filter(
            contest=contest, photo__isnull=False, photo_match__isnull=True
        ).count(),
    )
    return result


def main() -> int:
    args = parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    data_dir = tempfile.mkdtemp(prefix="baqylau-bench-")
    os.environ.setdefault("SECRET_KEY", "bench-secret")
    if args.database_url:
        from _load import create_pg_database

        create_pg_database(args.database_url)
    setup_django(data_dir, args.database_url or None, BAYGE_BOT_TOKEN="222:bench")
    from baqylau.simulate import ballot_photos as bp

    form = bp.kz_party_list_form()
    names = list(ATTACKS) if args.attack == "all" else [args.attack]
    timer = Timed()
    timer.install()
    results = []
    from baqylau.crowd import services

    for number, name in enumerate(names):
        services.cache_clear()
        timer.samples.clear()
        contest = make_setup(args.stations, form, f"bench-{name}")
        worker = Worker()
        attack, offset = ATTACKS[name], number * 10**7
        if args.processes == 1:
            parts = [asyncio.run(run_attack(args, attack, form, contest, offset))]
        else:
            # the photo pools on disk first: the bot processes only read them
            genuine_photos(args, form, args.voters)
            attacker_pool(args, form, attack, spam_accounts(args, attack))
            parts = run_processes(args, attack, contest, offset, data_dir)
        started = parts[0]["start_at"]  # the common start of the bot processes
        result = merge(args, attack, contest, offset, parts)
        result["run_s"] = round(time.time() - started, 1)
        # the photo matches still queued are finished before the figures are read
        from baqylau.jobs.worker import run_until_idle

        drain_until = time.perf_counter() + args.drain
        while time.perf_counter() < drain_until and run_until_idle(timeout=10):
            pass
        worker.stop()
        result["jobs_drained_s"] = round(time.time() - started, 1)
        # one process's lookups, or every bot process's in the order they were taken
        timed = sorted([*timer.samples, *(s for part in parts for s in part.get("lookups", []))])
        samples = [seconds for _moment, seconds in timed]
        tenth = max(1, len(samples) // 10)
        result["lookup_ms_first_tenth"] = (
            round(1000 * sum(samples[:tenth]) / tenth, 2) if samples else None
        )
        result["lookup_ms_last_tenth"] = (
            round(1000 * sum(samples[-tenth:]) / tenth, 2) if samples else None
        )
        result["photos_looked_up"] = len(samples)
        results.append(figures(result, args.headline))
        print_result(results[-1], args.json)
    return 0


def print_result(r: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(r, indent=2))
        return
    share = r["spam_share_of_headline"]
    print(
        f"\n== {r['attack']}: {r['spam_accounts']} spam accounts, {r['genuine_voters']} genuine "
        f"voters, bot processes: {r['bot_processes']}; attack done in {r['attack_s']} s, photo-match jobs drained at "
        f"{r['jobs_drained_s']} s (errors {r['errors']}) {r['first_error']}\n"
        f"   headline ({r['headline']}): {r['headline_total']} ballots, spam "
        f"{r['spam_in_headline']} = {'—' if share is None else f'{100 * share:.1f} %'}\n"
        f"   genuine kept in the headline {r['genuine_counted_in_headline']} of "
        f"{r['genuine_voters']} (phone verified {r['genuine_phone_verified']}, counted in any "
        f"tier {r['genuine_counted_any_tier']}, held {r['genuine_held']}, marked "
        f"spam {r['genuine_marked_spam']}, photo matched {r['genuine_photo_matched']}, marked box "
        f"agrees {r['genuine_choice_agrees']})\n"
        f"   spam ballots {r['spam_ballots']}: counted in any tier {r['spam_counted_any_tier']}, "
        f"held {r['spam_held']}, "
        f"photo matched {r['spam_photo_matched']}, duplicates {r['spam_marked_duplicate']}; "
        f"photos not matched yet {r['photos_not_matched_yet']}\n"
        f"   genuine reply p50 {r['genuine_p50_s']} s, p95 {r['genuine_p95_s']} s (missing "
        f"{r['genuine_replies_missing']}); after phone verification (station, photo, choice) p95 "
        f"{r['genuine_voting_p95_s']} s; p95 by message: "
        + ", ".join(f"{k} {v} s" for k, v in r["genuine_p95_by_step_s"].items())
        + "\n"
        f"   duplicate lookup per photo: {r['lookup_ms_first_tenth']} ms (first tenth) → "
        f"{r['lookup_ms_last_tenth']} ms (last tenth) over {r['photos_looked_up']} photos"
    )


if __name__ == "__main__":
    sys.exit(main())
