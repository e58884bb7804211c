"""The `job` decorator: a Django task whose failures are retried, and the schedule of periodic
jobs that apps register."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django_tasks import task, task_backends

logger = logging.getLogger(__name__)

#: The lane of the jobs that put a change on the public pages (the recount after a copy or a
#: decision, and the summaries of the units it rewrote): each worker runs it in a loop of its own,
#: so a long job (a full summary of 10,000 stations, a forensic report) never makes them wait.
URGENT = "urgent"
#: Every queue a job may name (the task backend refuses others).
QUEUES = ("default", URGENT)

#: Delay before retry n (1-based): 5 s, 30 s, 2 min, then 10 min.
RETRY_DELAYS = (5, 30, 120, 600)


def job(*, retries: int = 3, priority: int = 0, queue: str = "default"):
    """Make a module-level function a background job (a Django task) that is retried when it
    raises. Its arguments must be JSON values (ids, codes), never model instances."""

    def decorate(func: Callable[..., Any]):
        @functools.wraps(func)
        def run(*args: Any, _attempt: int = 1, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception:
                backend = task_backends[the_task.backend]
                if _attempt <= retries and backend.supports_defer:
                    delay = RETRY_DELAYS[min(_attempt, len(RETRY_DELAYS)) - 1]
                    logger.exception(
                        "job %s failed (attempt %d); retrying in %d s",
                        func.__name__,
                        _attempt,
                        delay,
                    )
                    the_task.using(run_after=timezone.now() + dt.timedelta(seconds=delay)).enqueue(
                        *args, _attempt=_attempt + 1, **kwargs
                    )
                raise

        the_task = task(priority=priority, queue_name=queue)(run)
        return the_task

    return decorate


@dataclass(frozen=True)
class Periodic:
    """A schedule entry: ``due(now)`` returns the keys of the runs due now (each key runs once,
    whichever worker sees it first: see `jobs.models.ScheduleRun`), and ``run(key)`` queues it."""

    name: str
    due: Callable[[dt.datetime], list[str]]
    run: Callable[[str], Any]


SCHEDULE: list[Periodic] = []


def periodic(name: str, due: Callable[[dt.datetime], list[str]]):
    """Register ``run(key)`` to be called once for every key ``due(now)`` returns."""

    def decorate(run: Callable[[str], Any]):
        SCHEDULE.append(Periodic(name, due, run))
        return run

    return decorate


def every(seconds: int) -> Callable[[dt.datetime], list[str]]:
    """A `periodic` due function: one key per ``seconds``-long slot of time."""

    def due(now: dt.datetime) -> list[str]:
        return [str(int(now.timestamp()) // seconds)]

    return due
