"""Sending within Telegram's limits (pure asyncio, no Django): about 30 messages a second overall
and one a second per chat; a 429 answer's retry_after is obeyed and the message sent again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

GLOBAL_PER_SECOND = 30.0
PER_CHAT_INTERVAL = 1.0
MAX_RETRIES = 5


@dataclass
class Throttle:
    per_second: float = GLOBAL_PER_SECOND
    per_chat_interval: float = PER_CHAT_INTERVAL
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _next_global: float = 0.0
    _next_chat: dict[int, float] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def wait(self, chat_id: int) -> None:
        async with self._lock:
            now = self.clock()
            at = max(now, self._next_global, self._next_chat.get(chat_id, 0.0))
            self._next_global = at + 1.0 / self.per_second
            self._next_chat[chat_id] = at + self.per_chat_interval
        delay = at - now
        if delay > 0:
            await self.sleep(delay)

    async def pause_all(self, seconds: float) -> None:
        """After a 429: nobody sends before `seconds` have passed."""
        async with self._lock:
            self._next_global = max(self._next_global, self.clock() + seconds)


async def send_all(
    chat_ids: list[int],
    send: Callable[[int], Awaitable[object]],
    *,
    throttle: Throttle | None = None,
    retry_after_of: Callable[[BaseException], float | None] = lambda exc: None,
) -> tuple[int, int]:
    """Send to every chat in order; returns (sent, failed)."""
    throttle = throttle or Throttle()
    sent = failed = 0
    for chat_id in chat_ids:
        for _attempt in range(MAX_RETRIES):
            await throttle.wait(chat_id)
            try:
                await send(chat_id)
            except Exception as exc:  # noqa: BLE001 - one failed chat must not stop the rest
                retry = retry_after_of(exc)
                if retry is None:
                    failed += 1
                    break
                await throttle.pause_all(float(retry))
                await throttle.sleep(float(retry))
                continue
            sent += 1
            break
        else:
            failed += 1
    return sent, failed
