"""Emptying the in-process caches of report intake in every server process at once.

Report intake keeps API tokens, observers, their placements and the violation catalogue in memory
for a few seconds (each cache has its own TTL), because every report would otherwise look them up.
When one of these is saved or deleted, or a token revoked, `invalidate` empties the caches of this
process and touches ``DATA_DIR/cache-epoch``; every other process on the machine notices the new
modification time within `CHECK_EVERY` seconds (`check`, one ``stat`` call) and empties its own.
So a revoked token stops working everywhere within a second, not after the TTL. Changes that send
no signal (bulk updates) and processes on other machines still wait for the TTL.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

CHECK_EVERY = 1.0

_clearers: list[Callable[[], None]] = []
_state: dict[str, float | int | None] = {"checked": 0.0, "seen": None}
_lock = threading.Lock()


def register(clear: Callable[[], None]) -> None:
    """A function that empties one cache; called on every invalidation."""
    if clear not in _clearers:
        _clearers.append(clear)


def _epoch_file() -> Path:
    return Path(settings.DATA_DIR) / "cache-epoch"


def _clear_local() -> None:
    for clear in _clearers:
        clear()


def invalidate(**_signal_kwargs) -> None:
    """Empty the caches here and tell the other processes (usable as a signal receiver)."""
    _clear_local()
    path = _epoch_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(time.time_ns()))
        _state["seen"] = path.stat().st_mtime_ns
    except OSError:
        pass  # no writable data dir: the TTLs still bound the staleness


def check() -> None:
    """Empty the caches if another process invalidated them since the last look."""
    now = time.monotonic()
    if now - _state["checked"] < CHECK_EVERY:
        return
    with _lock:
        if now - _state["checked"] < CHECK_EVERY:
            return
        _state["checked"] = now
        try:
            seen = os.stat(_epoch_file()).st_mtime_ns
        except OSError:
            seen = None
        if seen != _state["seen"]:
            _state["seen"] = seen
            _clear_local()


class TTL:
    """A small in-process cache whose entries live `seconds`, emptied with the others on every
    invalidation (`invalidate`, in every process within `CHECK_EVERY`). The one cache helper for
    values read on every submission (an election's checks policy, ...)."""

    def __init__(self, seconds: float, maxsize: int = 20_000):
        self.seconds, self.maxsize = seconds, maxsize
        self._items: dict[object, tuple[float, object]] = {}
        self._lock = threading.Lock()
        register(self.clear)

    def get(self, key: object, compute: Callable[[], object]) -> object:
        check()
        now = time.monotonic()
        hit = self._items.get(key)
        if hit is not None and now - hit[0] < self.seconds:
            return hit[1]
        value = compute()
        with self._lock:
            if len(self._items) >= self.maxsize:
                self._items.clear()
            self._items[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
