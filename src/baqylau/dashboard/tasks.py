"""Background jobs of the public pages: summaries after every recount (only the units it
rewrote), a periodic refresh of election-day activity (reports, violations, ballot photos),
snapshots at each election's hours in its own time zone, and the forensic report."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from baqylau.dashboard import services
from baqylau.elections.models import Election
from baqylau.jobs import job
from baqylau.jobs.registry import every, periodic

#: How often the activity figures of a running election are refreshed.
ACTIVITY_EVERY = 30


@job(retries=5, priority=5)
def refresh_summaries(election_id: int, unit_ids: list[int] | None = None) -> int:
    """Rewrite the public summaries of an election's units (all, or those given)."""
    election = Election.objects.filter(pk=election_id).first()
    if election is None:
        return 0
    return services.rebuild_summaries(election, unit_ids)


@job(retries=3)
def publish_snapshot(election_id: int, at: str) -> str:
    """Publish the snapshot of an election at ``at`` (ISO date-time)."""
    election = Election.objects.get(pk=election_id)
    services.rebuild_summaries(election)
    snapshot = services.publish_snapshot(election, dt.datetime.fromisoformat(at))
    return snapshot.at.isoformat()


def _running(now: dt.datetime) -> list[Election]:
    """Elections whose day (in their own time zone), or the morning after, is today."""
    found = []
    for election in Election.objects.filter(
        date__gte=(now - dt.timedelta(days=2)).date(), date__lte=(now + dt.timedelta(days=1)).date()
    ):
        local = timezone.localtime(now, election.zone)
        if local.date() == election.date or (
            local.date() == election.date + dt.timedelta(days=1) and local.hour < 12
        ):
            found.append(election)
    return found


def _activity_due(now: dt.datetime) -> list[str]:
    slot = every(ACTIVITY_EVERY)(now)[0]
    return [f"{e.pk}:{slot}" for e in _running(now)]


@periodic("dashboard.activity", due=_activity_due)
def refresh_activity(key: str) -> None:
    refresh_summaries.enqueue(int(key.split(":")[0]))


def snapshots_due(now: dt.datetime) -> list[str]:
    """Snapshot times of election day that have come (in each election's time zone), within
    the last six hours (a worker that was down catches up; older ones are not invented)."""
    due = []
    for election in _running(now):
        for hhmm in election.snapshot_hours or []:
            try:
                at = services.snapshot_time(election, str(hhmm))
            except ValueError:
                continue
            if at <= now < at + dt.timedelta(hours=6):
                due.append(f"{election.pk}:{at.isoformat()}")
    return due


@periodic("dashboard.snapshot", due=snapshots_due)
def snapshot_at_hour(key: str) -> None:
    election_id, at = key.split(":", 1)
    publish_snapshot.enqueue(int(election_id), at)
