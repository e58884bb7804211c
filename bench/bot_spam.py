"""Spam attack on the voters' bot (Bayge) while genuine voters vote.

2,000 fake accounts send 100 messages/s for 60 s (each: a station number, a near-copy of one of a
few spam "ballot" images, a vote for the same party — as in the seed's attack), while 200 genuine
voters vote with their own photos at human pace. Every update goes through the real handler code
(`Dispatcher.feed_raw_update`, the production middleware, services and SQLite database) with a
recording Bot API session in place of Telegram (getFile and downloads served from memory).

Prints: genuine votes counted, share of spam classified as spam (target >= 95%), and the bot's
reply latency to genuine voters, p50/p95 (target p95 < 1 s).

    python bench/bot_spam.py                 # the full 60 s run
    python bench/bot_spam.py --duration 10   # shorter (fewer fake accounts, same rate)
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from _django import setup_django

ROOT = Path(__file__).resolve().parents[1]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of attack (60)")
    parser.add_argument("--rate", type=float, default=100.0, help="spam messages per second (100)")
    parser.add_argument("--accounts", type=int, default=2000, help="fake accounts (2000)")
    parser.add_argument("--voters", type=int, default=200, help="genuine voters (200)")
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", default="", help="data dir (default: a temporary one)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser.parse_args()


def setup(args) -> None:
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="baqylau-bench-")
    os.environ.setdefault("SECRET_KEY", "bench-secret")
    setup_django(data_dir, None, BAYGE_BOT_TOKEN="222:bench")


# ---------------------------------------------------------------------------------------------
# data


def make_election(stations: int, code: str = "bench-mazhilis"):
    from baqylau.bots.models import BotControl
    from baqylau.elections.models import AdminUnit, Choice, Contest, Election

    election = Election.objects.create(
        code=code,
        date="2021-01-10",
        kind="parliamentary",
        country="KZ",
        name_en="Bench election",
    )
    contest = Contest.objects.create(
        election=election,
        code="party-list",
        kind="party_list",
        protocol_form="kz_mazhilis",
        name_en="Party list",
    )
    for number, code in enumerate(["akzhol", "nur-otan", "adal", "auyl", "npk"], start=1):
        Choice.objects.create(
            contest=contest,
            code=code,
            number=number,
            kind="party",
            name_en=code,
            name_ru=code,
            name_kk=code,
        )
    country = AdminUnit.objects.create(election=election, kind="country", code="KZ", path="KZ")
    for n in range(1, stations + 1):
        AdminUnit.objects.create(
            election=election,
            parent=country,
            kind="station",
            code=str(n),
            path=f"KZ/{n}",
            depth=1,
            registered_voters=2000,
        )
    BotControl.objects.update_or_create(
        bot="bayge",
        defaults={"election": election, "contest": contest, "id_reference": 6_000_000_000},
    )
    return contest


def genuine_photo(rng: random.Random) -> bytes:
    from PIL import Image

    small = Image.new("RGB", (8, 6))
    small.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(48)])
    image = small.resize((320, 240), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def spam_bases(rng: random.Random, count: int = 5) -> list:
    from PIL import Image, ImageDraw

    bases = []
    for _ in range(count):
        image = Image.new("RGB", (320, 240), tuple(rng.randrange(256) for _ in range(3)))
        draw = ImageDraw.Draw(image)
        for _ in range(6):
            x, y = rng.randrange(280), rng.randrange(200)
            draw.ellipse(
                (x, y, x + rng.randrange(30, 120), y + rng.randrange(30, 120)),
                fill=tuple(rng.randrange(256) for _ in range(3)),
            )
        bases.append(image)
    return bases


def spam_variant(base, rng: random.Random) -> bytes:
    """A near-copy: small crop, resize, a few changed pixels, another JPEG quality."""
    from PIL import Image

    dx, dy = rng.randrange(4), rng.randrange(4)
    image = base.crop((dx, dy, 320 - rng.randrange(4), 240 - rng.randrange(4)))
    image = image.resize(
        (rng.randrange(300, 340), rng.randrange(225, 255)), Image.Resampling.BILINEAR
    )
    pixels = image.load()
    for _ in range(20):
        pixels[rng.randrange(image.width), rng.randrange(image.height)] = (255, 255, 255)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=rng.randrange(60, 95))
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# a Bot API session that records instead of calling Telegram


def recording_session_class():
    from aiogram.client.session.base import BaseSession
    from aiogram.methods import AnswerCallbackQuery, GetFile, SendMessage

    from baqylau.bots.runtime import prepare_session

    class RecordingSession(BaseSession):
        def __init__(self):
            super().__init__()
            self.files: dict[str, bytes] = {}
            self.replies: dict[int, list[float]] = defaultdict(list)
            self.keyboards: dict[int, list[str]] = {}
            self.ids = iter(range(1, 10**9))
            prepare_session(self)  # as the bot's own sessions (`runtime.make_session`)

        async def close(self):
            return None

        async def make_request(self, bot, method, timeout=None):
            result: object = True
            if isinstance(method, SendMessage):
                chat = int(method.chat_id)
                self.replies[chat].append(time.perf_counter())
                markup = method.reply_markup
                if markup is not None and getattr(markup, "inline_keyboard", None):
                    self.keyboards[chat] = [
                        b.callback_data for row in markup.inline_keyboard for b in row
                    ]
                result = {
                    "message_id": next(self.ids),
                    "date": int(time.time()),
                    "chat": {"id": chat, "type": "private"},
                    "text": method.text,
                }
            elif isinstance(method, GetFile):
                result = {
                    "file_id": method.file_id,
                    "file_unique_id": method.file_id[:16],
                    "file_path": method.file_id,
                }
            elif isinstance(method, AnswerCallbackQuery):
                result = True
            response = self.check_response(
                bot=bot,
                method=method,
                status_code=200,
                content=json.dumps({"ok": True, "result": result}),
            )
            return response.result

        async def stream_content(
            self, url, headers=None, timeout=30, chunk_size=65536, raise_for_status=True
        ):
            yield self.files[url.rsplit("/", 1)[-1]]

    return RecordingSession


class Updates:
    """Telegram updates as the Bot API sends them: a message (text, contact, ...), a photo (its
    bytes served by the recording session), a button press. Shared by the bot benchmarks.
    Several bot processes fed at once number their updates `first`, `first + step`, … so that
    no two share an id."""

    def __init__(self, session, first: int = 1, step: int = 1) -> None:
        self.session = session
        self.ids = iter(range(first, 10**9, step))

    @staticmethod
    def sender(user_id: int) -> dict:
        return {"id": user_id, "is_bot": False, "first_name": "v", "language_code": "ru"}

    def message(self, user_id: int, **fields) -> dict:
        return {
            "update_id": next(self.ids),
            "message": {
                "message_id": next(self.ids),
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"},
                "from": self.sender(user_id),
                **fields,
            },
        }

    def photo(self, user_id: int, data: bytes, width: int = 320, height: int = 240) -> dict:
        file_id = f"f{user_id}x{next(self.ids)}"
        self.session.files[file_id] = data
        size = {
            "file_id": file_id,
            "file_unique_id": file_id[:16],
            "width": width,
            "height": height,
            "file_size": len(data),
        }
        return self.message(user_id, photo=[size])

    def callback(self, user_id: int, data: str) -> dict:
        return {
            "update_id": next(self.ids),
            "callback_query": {
                "id": str(next(self.ids)),
                "from": self.sender(user_id),
                "chat_instance": "x",
                "data": data,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": user_id, "type": "private"},
                    "text": "…",
                },
            },
        }


# ---------------------------------------------------------------------------------------------
# the run


async def run(args) -> dict:
    from aiogram import Bot
    from asgiref.sync import sync_to_async

    from baqylau.bots.runtime import make_dispatcher
    from baqylau.crowd.models import CrowdBallot, CrowdVoter

    rng = random.Random(args.seed)
    contest = await sync_to_async(make_election)(args.stations)
    session = recording_session_class()()
    bot = Bot(token="222:bench", session=session)
    dispatcher = make_dispatcher("bayge")
    updates = Updates(session)
    message, photo = updates.message, updates.photo

    def callback(user_id: int, choose) -> dict:
        return updates.callback(user_id, choose(session.keyboards.get(user_id) or ["np"]))

    # Schedules: (time, kind, user_id, step)
    duration = args.duration
    accounts = min(args.accounts, max(1, int(args.rate * duration / 3)))
    spam_schedule = []
    interval = duration / 3
    for n in range(accounts):
        start = (n / accounts) * interval
        for step in range(3):
            spam_schedule.append((start + step * interval, "spam", 6_100_000_000 + n, step))
    genuine_schedule = []
    gap_max = min(12.0, max(1.0, duration / 4))
    for n in range(args.voters):
        t = rng.uniform(0, max(0.0, duration - 3 * gap_max))
        for step in range(3):
            genuine_schedule.append((t, "genuine", 100_000_000 + n * 7919, step))
    schedule = spam_schedule + genuine_schedule
    spam_schedule_sorted = sorted(spam_schedule)

    bases = spam_bases(rng)
    spam_photos = [spam_variant(bases[i % len(bases)], rng) for i in range(accounts)]
    genuine_photos = {uid: genuine_photo(rng) for _, kind, uid, _ in genuine_schedule if kind}
    stations = [str(n) for n in range(1, args.stations + 1)]
    pro_government = "c" + str(
        await sync_to_async(lambda: contest.choices.get(code="nur-otan").pk)()
    )

    latencies: list[float] = []
    errors: list[str] = []
    tasks = []

    slow: list[tuple[float, int]] = []
    step_latency: dict[int, list[float]] = defaultdict(list)

    async def feed(update: dict, user_id: int, genuine: bool, step: int = 0):
        before = len(session.replies[user_id])
        fed = time.perf_counter()
        try:
            await dispatcher.feed_raw_update(bot, update)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            errors.append(repr(exc))
        if genuine:
            replies = session.replies[user_id][before:]
            latency = (replies[0] - fed) if replies else float("inf")
            latencies.append(latency)
            step_latency[step].append(latency)
            if latency > 1.0:
                slow.append((round(fed - started, 1), step))

    def build(kind: str, user_id: int, step: int) -> dict:
        if kind == "spam":
            if step == 0:
                return message(user_id, text=rng.choice(stations))
            if step == 1:
                return photo(user_id, spam_photos[user_id - 6_100_000_000])
            return callback(
                user_id,
                lambda opts: next((o for o in opts if o.endswith(":" + pro_government)), opts[0]),
            )
        if step == 0:
            return message(user_id, text=rng.choice(stations))
        if step == 1:
            return photo(user_id, genuine_photos[user_id])
        return callback(
            user_id, lambda opts: rng.choice([o for o in opts if o.startswith("v:")] or opts)
        )

    started = time.perf_counter()
    voter_starts = {uid: at for at, kind, uid, step in genuine_schedule if step == 0}

    async def genuine_voter(user_id: int, at: float) -> None:
        """A person: waits for each answer, then takes a few seconds for the next step."""
        delay = at - (time.perf_counter() - started)
        if delay > 0:
            await asyncio.sleep(delay)
        for step in range(3):
            await feed(build("genuine", user_id, step), user_id, True, step)
            await asyncio.sleep(rng.uniform(min(3.0, gap_max / 2), gap_max))

    voters = [asyncio.create_task(genuine_voter(uid, at)) for uid, at in voter_starts.items()]
    for at, _kind, user_id, step in spam_schedule_sorted:
        delay = at - (time.perf_counter() - started)
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(feed(build("spam", user_id, step), user_id, False)))
    attack_s = time.perf_counter() - started
    await asyncio.gather(*voters)
    genuine_done_s = time.perf_counter() - started
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started

    def figures():
        genuine_ids = {uid for _, kind, uid, _ in genuine_schedule}
        spam_ids = {uid for _, kind, uid, _ in spam_schedule}
        from baqylau.bots import keys

        genuine_hashes = {keys.id_hash("user", uid) for uid in genuine_ids}
        spam_hashes = {keys.id_hash("user", uid) for uid in spam_ids}
        counted_genuine = CrowdBallot.objects.filter(
            voter__voter_hash__in=genuine_hashes, counted=True
        ).count()
        genuine_spam = CrowdBallot.objects.filter(
            voter__voter_hash__in=genuine_hashes, category="spam"
        ).count()
        spam_ballots = CrowdBallot.objects.filter(voter__voter_hash__in=spam_hashes)
        flagged_accounts = (
            CrowdVoter.objects.filter(voter_hash__in=spam_hashes).filter(spam=True).count()
            + CrowdVoter.objects.filter(
                voter_hash__in=spam_hashes, spam=False, ballots__category="spam"
            )
            .distinct()
            .count()
        )
        from baqylau.intake.models import Submission

        return {
            "genuine_voters": len(genuine_ids),
            "genuine_votes_counted": counted_genuine,
            "genuine_ballots_marked_spam": genuine_spam,
            "spam_accounts": len(spam_ids),
            "spam_messages": len(spam_schedule),
            "spam_ballots": spam_ballots.count(),
            "spam_ballots_classified_spam": spam_ballots.filter(category="spam").count(),
            "spam_ballots_counted": spam_ballots.filter(counted=True).count(),
            "spam_accounts_flagged": flagged_accounts,
            "submissions_stored": Submission.objects.filter(kind="crowd_ballot").count(),
        }

    result = await sync_to_async(figures)()
    finite = [x for x in latencies if x != float("inf")]
    from baqylau.crowd.abuse import percentile

    result.update(
        duration_s=round(elapsed, 1),
        attack_s=round(attack_s, 1),
        genuine_done_s=round(genuine_done_s, 1),
        updates=len(schedule),
        errors=len(errors),
        first_error=errors[0] if errors else "",
        genuine_replies_missing=len(latencies) - len(finite),
        latency_p50_s=round(percentile(finite, 50), 3) if finite else None,
        latency_p95_s=round(percentile(finite, 95), 3) if finite else None,
        latency_max_s=round(max(finite), 3) if finite else None,
    )
    result["latency_p95_by_step_s"] = {
        ("station", "photo", "vote")[k]: round(percentile(v, 95), 3)
        for k, v in step_latency.items()
    }
    result["slow_replies_at_s"] = slow[:40]
    result["spam_classified_share"] = (
        round(result["spam_ballots_classified_spam"] / result["spam_ballots"], 4)
        if result["spam_ballots"]
        else None
    )
    await bot.session.close()
    return result


def main() -> int:
    args = parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    setup(args)
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"updates fed: {result['updates']}; attack {result['attack_s']} s, genuine voters "
            f"done at {result['genuine_done_s']} s, spam backlog drained at "
            f"{result['duration_s']} s (errors: {result['errors']}) {result['first_error']}"
        )
        print(
            f"genuine votes counted: {result['genuine_votes_counted']} of "
            f"{result['genuine_voters']} (genuine ballots marked spam: "
            f"{result['genuine_ballots_marked_spam']})"
        )
        print(
            f"spam: {result['spam_messages']} messages from {result['spam_accounts']} accounts; "
            f"ballots classified spam {result['spam_ballots_classified_spam']} of "
            f"{result['spam_ballots']} = {100 * (result['spam_classified_share'] or 0):.1f}% "
            f"(target >= 95%); spam ballots counted: {result['spam_ballots_counted']}; "
            f"accounts flagged: {result['spam_accounts_flagged']}"
        )
        print(
            f"reply latency to genuine voters: p50 {result['latency_p50_s']} s, "
            f"p95 {result['latency_p95_s']} s, max {result['latency_max_s']} s (target p95 < 1 s); "
            f"missing replies: {result['genuine_replies_missing']}"
        )
        print(f"submissions stored first: {result['submissions_stored']}")
        print(
            f"p95 by step: {result['latency_p95_by_step_s']}; slow (>1 s) replies at "
            f"(time, step): {result['slow_replies_at_s']}"
        )
    ok = (
        result["genuine_votes_counted"] == result["genuine_voters"]
        and (result["spam_classified_share"] or 0) >= 0.95
        and (result["latency_p95_s"] or 99) < 1.0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
