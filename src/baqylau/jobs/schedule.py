"""The schedule: periodic jobs registered by the apps (`registry.periodic`), run once each by
whichever worker sees them first, and the recovery of jobs whose worker died mid-run."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from baqylau.jobs.models import ScheduleRun
from baqylau.jobs.registry import SCHEDULE

logger = logging.getLogger(__name__)

#: A job still "running" after this long lost its worker (jobs here take seconds): run it again.
STALE_AFTER = dt.timedelta(minutes=15)
#: Schedule keys older than this are forgotten.
KEEP_RUNS = dt.timedelta(days=30)


def claim(key: str) -> bool:
    """True for exactly one caller per key, across every worker process and machine."""
    try:
        with transaction.atomic():
            ScheduleRun.objects.create(key=key[:200])
    except IntegrityError:
        return False
    return True


def tick(now: dt.datetime | None = None) -> list[str]:
    """Queue every periodic run that is due and not yet started; returns their keys."""
    now = now or timezone.now()
    started = []
    for entry in SCHEDULE:
        try:
            keys = entry.due(now)
        except Exception:  # noqa: BLE001 - one broken entry must not stop the others
            logger.exception("schedule entry %s failed to say what is due", entry.name)
            continue
        for key in keys:
            full_key = f"{entry.name}:{key}"
            if claim(full_key):
                try:
                    entry.run(key)
                    started.append(full_key)
                except Exception:  # noqa: BLE001 - logged; its claim is released to retry
                    logger.exception("scheduled run %s could not be queued", full_key)
                    ScheduleRun.objects.filter(key=full_key[:200]).delete()
    return started


def recover_stale(now: dt.datetime | None = None) -> int:
    """Put jobs whose worker died while running them (a kill -9, a lost machine) back in the
    queue. Returns how many."""
    now = now or timezone.now()
    stale = DBTaskResult.objects.running().filter(started_at__lt=now - STALE_AFTER)
    return stale.update(status="READY", started_at=None)


def forget_old_runs(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return ScheduleRun.objects.filter(started_at__lt=now - KEEP_RUNS).delete()[0]
