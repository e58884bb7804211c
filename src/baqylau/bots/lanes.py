"""Database work of the voters' bot in two lanes: verified people first, everyone else after.

An update from a voter whose phone number is verified (Telegram's contact button, one number one
vote), or from a linked observer, goes to the high-priority lane; every other update (unverified
accounts, however old: bought accounts are old) goes to the low-priority lane. Nothing is
dropped: every update is still stored as a Submission before its reply, and the low lane runs
whenever the high lane is empty, so with no attack everyone is served at once, and during a flood
of unverified accounts the verified voters still answer fast. The triage uses only an in-memory
set of the senders known to be verified (filled from each update's intake), so it costs nothing
per update; a verified voter's first update after a restart goes once through the low lane.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
from typing import Any

from asgiref.sync import sync_to_async

HIGH, LOW = 0, 1
PRIORITY: contextvars.ContextVar[int] = contextvars.ContextVar("bot_db_priority", default=HIGH)


class Lanes:
    def __init__(self) -> None:
        self.queue: asyncio.PriorityQueue = asyncio.PriorityQueue()
        self.sequence = itertools.count()
        self.worker: asyncio.Task | None = None
        #: Telegram ids (in memory only) of phone-verified voters and linked observers.
        self.trusted: set[int] = set()

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


def triage(user_id: int) -> int:
    """The lane of an update: high for a sender known to be verified, else low."""
    return HIGH if user_id in lanes().trusted else LOW
