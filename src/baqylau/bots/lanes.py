"""Database work of the bots in two lanes: established accounts first, suspicious ones after.

During a flood (the bot's in-process rate is over its global budget), updates from accounts that
look new (Telegram id above the pre-campaign reference) or that were already judged spam go to the
low-priority lane. Nothing is dropped: every update is still stored as a Submission before its
reply; suspicious updates only wait until the established accounts' work is done. This triage uses
only in-memory facts, so it costs nothing per update; the spam verdict itself is made later, in
the database, from all signals (`crowd.abuse`).
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import time
from typing import Any

from asgiref.sync import sync_to_async

from baqylau.crowd import abuse

HIGH, LOW = 0, 1
PRIORITY: contextvars.ContextVar[int] = contextvars.ContextVar("bot_db_priority", default=HIGH)
#: In-process view of the global rate (the DB-backed bucket decides the verdict).
BURST_BUCKET = abuse.Bucket(rate=30.0, capacity=60.0)


class Lanes:
    def __init__(self) -> None:
        self.queue: asyncio.PriorityQueue = asyncio.PriorityQueue()
        self.sequence = itertools.count()
        self.worker: asyncio.Task | None = None
        self.tokens: float | None = None
        self.updated: float | None = None
        self.flagged: set[int] = set()
        self.reference: int | None = None  # BotControl.id_reference, as last read

    def burst(self) -> bool:
        """True while the arrival rate is over the budget (the bucket below half full)."""
        now = time.monotonic()
        _allowed, self.tokens = abuse.bucket_take(BURST_BUCKET, self.tokens, self.updated, now)
        self.updated = now
        return self.tokens < BURST_BUCKET.capacity / 2

    async def run(self, fn, *args: Any, **kwargs: Any) -> Any:
        if self.worker is None or self.worker.done():
            self.worker = asyncio.create_task(self._work())
        future = asyncio.get_running_loop().create_future()
        await self.queue.put((PRIORITY.get(), next(self.sequence), fn, args, kwargs, future))
        return await future

    async def _work(self) -> None:
        while True:
            _priority, _seq, fn, args, kwargs, future = await self.queue.get()
            if future.cancelled():
                continue
            try:
                result = await sync_to_async(fn)(*args, **kwargs)
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


def triage(user_id: int, reference_id: int | None) -> int:
    """The lane of an update, from in-memory facts only."""
    current = lanes()
    burst = current.burst()
    if user_id in current.flagged:
        return LOW
    if burst and abuse.is_new_account(user_id, reference_id):
        return LOW
    return HIGH
