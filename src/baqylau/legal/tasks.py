"""Background job of the legal app: deadline reminders, sent each morning by the worker (once
per deadline and lead time: `services.send_reminders` records what it sent)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from baqylau.jobs import job
from baqylau.jobs.registry import periodic
from baqylau.legal import services

#: Local hour at which the day's reminders go out.
REMINDER_HOUR = 8


@job(retries=3)
def send_reminders() -> int:
    return len(services.send_reminders())


def _morning(now: dt.datetime) -> list[str]:
    local = timezone.localtime(now)
    return [local.date().isoformat()] if local.hour >= REMINDER_HOUR else []


@periodic("legal.reminders", due=_morning)
def reminders_of_the_day(key: str) -> None:
    send_reminders.enqueue()
