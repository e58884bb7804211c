"""Group commit: requests that arrive while a write is in progress are written together.

Under load each report would otherwise pay for its own transaction (several round trips and a
WAL flush). Here a request thread hands its prepared write to `GroupCommit.submit`, which blocks
until that write is committed (or has failed). The first thread to arrive becomes the *leader*: it
takes everything queued so far and writes it as one batch, on its own database connection; threads
arriving meanwhile queue up, and when the leader is done the first of them leads the next batch.
No extra thread is involved, so a lone caller (a test, a command) simply writes its own item at
once, in its own transaction context.

Pure threading, no Django: the batch writer is passed in. It must settle every item of the batch;
when it raises, each item is retried alone (`write_one`), so that one bad item cannot fail the
others and a writer can rescue an item it cannot write (e.g. store it as rejected).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class _Ticket(Generic[T]):
    __slots__ = ("item", "wake", "lead", "error")

    def __init__(self, item: T):
        self.item = item
        self.wake = threading.Event()
        self.lead = False
        self.error: BaseException | None = None


class GroupCommit(Generic[T]):
    def __init__(
        self,
        write_batch: Callable[[Sequence[T]], Any],
        write_one: Callable[[T], Any] | None = None,
        max_batch: int = 200,
    ):
        self._write_batch = write_batch
        self._write_one = write_one or (lambda item: write_batch([item]))
        self._max_batch = max_batch
        self._mutex = threading.Lock()
        self._queue: list[_Ticket[T]] = []
        self._leading = False
        #: sizes of the batches written (for benchmarks and tests); bounded
        self.batch_sizes: list[int] = []

    def submit(self, item: T) -> T:
        """Write `item` (with whatever else is queued); returns it once committed, or raises the
        error its write raised."""
        ticket = _Ticket(item)
        with self._mutex:
            self._queue.append(ticket)
            lead = not self._leading
            self._leading = True
        if not lead:
            ticket.wake.wait()
        if lead or ticket.lead:
            self._lead()
        if ticket.error is not None:
            raise ticket.error
        return item

    def _lead(self) -> None:
        with self._mutex:
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
        try:
            self._write(batch)
        finally:
            with self._mutex:
                if self._queue:  # hand over: the first one waiting leads the next batch
                    successor = self._queue[0]
                    successor.lead = True
                    successor.wake.set()
                else:
                    self._leading = False
            for ticket in batch:
                ticket.wake.set()

    def _write(self, batch: list[_Ticket[T]]) -> None:
        if len(self.batch_sizes) < 100_000:
            self.batch_sizes.append(len(batch))
        try:
            self._write_batch([t.item for t in batch])
            return
        except Exception:  # noqa: BLE001 - settled item by item below
            pass
        for ticket in batch:
            try:
                self._write_one(ticket.item)
            except BaseException as exc:  # noqa: BLE001 - handed to the item's own thread
                ticket.error = exc
