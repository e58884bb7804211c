"""`baqylau worker`: run background jobs, and the schedule, until stopped.

The job loop is django-tasks-db's own worker (it claims a job with a row lock, so several
workers never run one job twice); beside it a thread ticks the schedule every few seconds.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from django.db import close_old_connections
from django.utils.crypto import get_random_string

from baqylau.jobs.registry import URGENT

logger = logging.getLogger(__name__)

TICK_SECONDS = 5.0
#: How much the loop of the ordinary queues yields the CPU (a nice value, Linux: per thread) to
#: the web server, the bots and the urgent lane on the same machine (`JOBS_NICENESS`).
DEFAULT_NICENESS = 10


def lower_priority(niceness: int | None = None) -> int | None:
    """Give the calling thread a lower CPU priority; returns its nice value (None: not possible
    here). Photo matching, summaries and forensic reports are heavy; a voter's reply or a
    decision's recount must not wait for them when the two cores are busy."""
    if niceness is None:
        configured = os.environ.get("JOBS_NICENESS", "")
        niceness = int(configured) if configured.lstrip("-").isdigit() else DEFAULT_NICENESS
    try:
        thread = threading.get_native_id()
        os.setpriority(
            os.PRIO_PROCESS, thread, max(os.getpriority(os.PRIO_PROCESS, thread), niceness)
        )
        return os.getpriority(os.PRIO_PROCESS, thread)
    except (AttributeError, OSError):
        return None


def _schedule_loop(stop: threading.Event, every: float) -> None:
    from baqylau.jobs import schedule

    while not stop.is_set():
        close_old_connections()
        try:
            schedule.tick()
            schedule.recover_stale()
        except Exception:  # noqa: BLE001 - the database may be away for a moment
            logger.exception("schedule tick failed")
        finally:
            close_old_connections()
        stop.wait(every)


def _worker(interval: float, max_tasks: int | None, *, urgent: bool):
    """django-tasks-db's worker loop for the urgent lane only, or for every other queue."""
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=[URGENT] if urgent else ["*"],
        interval=interval,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=get_random_string(32),
        excluded_queue_names=[] if urgent else [URGENT],
    )


def run(*, interval: float = 0.2, schedule: bool = True, max_tasks: int | None = None) -> None:
    """Run jobs until stopped (SIGINT/SIGTERM), polling the queues every ``interval`` seconds
    when they are empty: the urgent lane (`registry.URGENT`) in a thread of its own beside the
    loop of every other queue; with ``schedule``, also tick the schedule in a thread."""
    stop = threading.Event()
    if schedule:
        threading.Thread(
            target=_schedule_loop, args=(stop, TICK_SECONDS), name="schedule", daemon=True
        ).start()
    urgent = _worker(interval, None, urgent=True)
    lane = threading.Thread(target=urgent.run, name="urgent-jobs", daemon=True)
    lane.start()
    worker = _worker(interval, max_tasks, urgent=False)
    worker.configure_signals()
    lower_priority()  # after the urgent lane started: it keeps the normal priority
    try:
        worker.run()
    finally:
        urgent.running = False  # finishes the job it runs, then stops
        lane.join(timeout=60)
        stop.set()


def run_until_idle(*, timeout: float = 30.0) -> int:
    """Run every job that is ready, in this process and on its database connection (tests,
    commands, the demo), then return how many ran. Unlike the worker loop it never closes the
    connection, so it runs inside a caller's transaction too."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )
    ran = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = DBTaskResult.objects.ready().filter(backend_name="default")
        with exclusive_transaction(ready.db):
            found = ready.get_locked()
            if found is not None:
                found.claim(worker.worker_id)
        if found is None:
            break
        worker.run_task(found)
        ran += 1
    return ran
