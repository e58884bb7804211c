"""Background jobs of the tally: recount the stations whose copies or decisions changed (queued
in the transaction of the change, `services.mark_stations`), a whole contest (after an import or a
simulation load), and a sweep that catches up with marks whose job was lost."""

from __future__ import annotations

import datetime as dt

from baqylau.elections.models import Contest
from baqylau.jobs import job
from baqylau.jobs.registry import URGENT, periodic
from baqylau.tally import services
from baqylau.tally.models import PendingRecount

#: A mark older than this with no job running for it is recounted by the sweep.
SWEEP_AFTER = dt.timedelta(seconds=30)


@job(retries=5, priority=10, queue=URGENT)
def recount_pending(contest_id: int) -> dict | None:
    """Recount the marked stations of a contest and the units above them; then the public
    summaries of those units."""
    contest = Contest.objects.filter(pk=contest_id).select_related("election").first()
    if contest is None:
        return None
    summary = services.recount_pending(contest)
    if summary is None:
        return None
    _refresh_summaries(contest, summary)
    return {"stations": summary.stations_recounted, "units": summary.units_written}


@job(retries=3)
def recount_contest(contest_id: int) -> dict | None:
    """Recount every station of a contest (after an import, a simulation load, a change of the
    official results), then the public summaries of its election."""
    contest = Contest.objects.filter(pk=contest_id).select_related("election").first()
    if contest is None:
        return None
    summary = services.recount(contest)
    _refresh_summaries(contest, summary, full=True)
    return {"copies": summary.reconcile.copies, "stations": summary.reconcile.stations}


def recount_election(election_id: int, *, forensics: bool = True) -> None:
    """Queue a full recount of every contest of an election (after its official results or its
    units changed), and, with ``forensics``, the forensic report of its official results."""
    from baqylau.forensics.tasks import publish_report

    for contest_id in Contest.objects.filter(election_id=election_id).values_list("id", flat=True):
        recount_contest.enqueue(contest_id)
    if forensics:
        publish_report.enqueue(election_id)


def _refresh_summaries(
    contest: Contest, summary: services.RecountSummary, full: bool = False
) -> None:
    from baqylau.dashboard.tasks import refresh_summaries

    if full:
        refresh_summaries.enqueue(contest.election_id, None)
    else:
        refresh_summaries.using(queue_name=URGENT).enqueue(contest.election_id, summary.unit_ids)


def _stale_marks(now: dt.datetime) -> list[str]:
    contests = (
        PendingRecount.objects.filter(queued_at__lt=now - SWEEP_AFTER)
        .values_list("contest_id", flat=True)
        .distinct()
    )
    slot = int(now.timestamp()) // 30
    return [f"{contest_id}:{slot}" for contest_id in contests]


@periodic("tally.sweep", due=_stale_marks)
def sweep(key: str) -> None:
    recount_pending.enqueue(int(key.split(":")[0]))
