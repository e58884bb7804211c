"""Database work of the voters' bot in two lanes: verified people first, everyone else after.

An update from a voter whose phone number is verified (Telegram's contact button, one number one
vote), or from a linked observer, goes to the high-priority lane; every other update (unverified
accounts, however old: bought accounts are old) goes to the low-priority lane. Nothing is
dropped: every update is still stored as a Submission before its reply, and the low lane runs
whenever the high lane is empty, so with no attack everyone is served at once, and during a flood
of unverified accounts the verified voters still answer fast. The triage uses only an in-memory
set of the senders known to be verified (filled from each update's intake), so it costs nothing
per update; a verified voter's first update after a restart goes once through the low lane.

Two more rules keep a genuine voter's first messages, sent before any verification, out of an
attacker's backlog:
- the contact button's message with the sender's *own* contact (Telegram fills the contact's
  account from the number, so it cannot be forged) is the verification itself and takes the
  high lane; a number verifies one account per election, so this lane cannot be flooded by more
  accounts than the attacker has phone numbers;
- within the low lane, a sender's n-th update waits behind every sender's earlier ones (its
  priority is LOW + n): a newcomer's station number goes before the photos and choices of a
  thousand accounts already in the queue, and a flood of updates from one account only delays
  that account.

On PostgreSQL several updates are worked on at once (`workers`, default 4: the work is mostly
waiting for the database, so one thread left the machine idle while the queue grew), still
taken from the queue in priority order; one sender's updates never run at the same time, and
run in the order they came (`sender`). SQLite, one writer at a time, keeps one.

All of this is in the memory of one process. In webhook mode the bot may run as several processes
(`baqylau bot run --mode webhook --workers N`, behind one socket), and then each process has its
own lanes: its own trusted set (a verified voter's first update in another process goes once
through that process's low lane), its own low-lane counts, and its own per-sender locks, so one
sender's updates keep their order only among those that reach the same process. What must hold
across processes is held by the database: the duplicate-photo check takes a per-contest advisory
lock (`crowd.services._photos_lock`), so two copies of a photo handled by two processes at the same
moment cannot both miss each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import os
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connections

HIGH, LOW = 0, 1
MAX_SENDERS_REMEMBERED = 500_000
PRIORITY: contextvars.ContextVar[int] = contextvars.ContextVar("bot_db_priority", default=HIGH)


def default_workers() -> int:
    """How many updates' database work may run at once (`BOT_DB_WORKERS`)."""
    configured = os.environ.get("BOT_DB_WORKERS", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return 1 if connections["default"].vendor == "sqlite" else 4


class Lanes:
    def __init__(self, workers: int | None = None) -> None:
        self.queue: asyncio.PriorityQueue = asyncio.PriorityQueue()
        self.sequence = itertools.count()
        self.size = workers or default_workers()
        self.workers: list[asyncio.Task] = []
        #: One lock per sender with updates in progress (dropped when free).
        self.senders: dict[int, asyncio.Lock] = {}
        #: Telegram ids (in memory only) of phone-verified voters and linked observers.
        self.trusted: set[int] = set()
        #: Updates of each unverified sender that went through the low lane (in memory only).
        self.low_updates: dict[int, int] = {}

    def count_low(self, user_id: int) -> None:
        if len(self.low_updates) >= MAX_SENDERS_REMEMBERED:
            self.low_updates.clear()  # bounded memory; everyone starts again at LOW
        self.low_updates[user_id] = self.low_updates.get(user_id, 0) + 1

    @contextlib.asynccontextmanager
    async def sender(self, user_id: int) -> AsyncIterator[None]:
        """Hold while one update of `user_id` is handled: the sender's next update waits."""
        lock = self.senders.setdefault(user_id, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and self.senders.get(user_id) is lock:
                del self.senders[user_id]

    @property
    def worker(self) -> asyncio.Task | None:
        return self.workers[0] if self.workers else None

    async def run(self, fn, *args: Any, **kwargs: Any) -> Any:
        self.workers = [w for w in self.workers if not w.done()]
        while len(self.workers) < self.size:
            self.workers.append(asyncio.create_task(self._work()))
        future = asyncio.get_running_loop().create_future()
        await self.queue.put((PRIORITY.get(), next(self.sequence), fn, args, kwargs, future))
        return await future

    async def _work(self) -> None:
        if self.size == 1:  # Django's one thread for synchronous code, as before
            await self._serve(sync_to_async)
            return
        # A thread of its own (and so a database connection of its own) for each worker,
        # closed when the worker stops: a connection left open in a pool thread would outlive
        # the bot (and keep a test database from being dropped).
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bot-lane")
        try:
            await self._serve(
                lambda fn: sync_to_async(fn, thread_sensitive=False, executor=executor)
            )
        finally:
            executor.submit(connections.close_all).result()
            executor.shutdown(wait=False)

    async def _serve(self, wrap) -> None:
        while True:
            _priority, _seq, fn, args, kwargs, future = await self.queue.get()
            if future.cancelled():
                continue
            try:
                result = await wrap(fn)(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - handed to the waiting handler
                if not future.cancelled():
                    future.set_exception(exc)
            else:
                if not future.cancelled():
                    future.set_result(result)


_lanes: dict[int, Lanes] = {}


def lanes() -> Lanes:
    loop = asyncio.get_running_loop()
    key = id(loop)
    if (
        key not in _lanes
        or _lanes[key].worker is not None
        and _lanes[key].worker.get_loop() is not loop
    ):
        _lanes[key] = Lanes()
    return _lanes[key]


async def db(fn, *args: Any, **kwargs: Any) -> Any:
    """Run a synchronous ORM function in the current update's lane."""
    return await lanes().run(fn, *args, **kwargs)


def triage(user_id: int, *, own_contact: bool = False) -> int:
    """The priority of an update (lower first): HIGH for a sender known to be verified or for
    the sender's own contact (the verification itself), else LOW plus the number of the sender's
    updates already in the low lane."""
    current = lanes()
    if own_contact or user_id in current.trusted:
        return HIGH
    return LOW + current.low_updates.get(user_id, 0)


def admit(user_id: int, *, own_contact: bool = False) -> int:
    """Triage an update and set its priority for the database work of its handling."""
    priority = triage(user_id, own_contact=own_contact)
    if priority != HIGH:
        lanes().count_low(user_id)
    PRIORITY.set(priority)
    return priority
