"""Background jobs of the voters' count: the population detection, kept current by itself, and
the work on each ballot photo that is kept off the bot's reply path: its display copy and its
match with the official sample ballot (ORB features and a homography take a fraction of a second).

Every ballot that gets its choice asks for a detection run of its contest
(`detection_schedule`): at most one run per contest is queued per `DEBOUNCE_SECONDS` slot, to run
at the slot's end, so a flood of ballots costs one run per slot, not one per ballot. A periodic
sweep runs it for every contest with open groups as a safety net (a lost job)."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django_tasks import task_backends

from baqylau.elections.models import Contest
from baqylau.jobs import job
from baqylau.jobs.registry import periodic
from baqylau.jobs.schedule import claim

logger = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 30


@job(retries=3)
def detect_population(contest_id: int) -> dict | None:
    """Find suspect groups of accounts among the contest's voters and hold their ballots."""
    from baqylau.crowd.services import population_detect

    contest = Contest.objects.filter(pk=contest_id).select_related("election").first()
    if contest is None:
        return None
    summary = population_detect(contest)
    return {
        "groups": summary.groups,
        "accounts_held": summary.accounts_held,
        "ballots_held": summary.ballots_held,
        "surges": summary.surges,
        "divergence": summary.divergence,
    }


def detection_schedule(contest_id: int, now: dt.datetime | None = None) -> bool:
    """Queue one detection run of the contest for the current slot (debounced); False when one
    is queued already. A process claims each slot once (remembered in `crowd.services.cached`):
    during a flood every ballot asks, and each refused claim cost an insert and a rollback."""
    from baqylau.crowd.services import cached

    now = now or timezone.now()
    slot = int(now.timestamp()) // DEBOUNCE_SECONDS
    key = f"crowd.detect:{contest_id}:{slot}"
    claimed: list[bool] = []
    cached(key, lambda: claimed.append(claim(key)), seconds=DEBOUNCE_SECONDS)
    if not claimed or not claimed[0]:
        return False
    backend = task_backends[detect_population.backend]
    if backend.supports_defer:
        run_after = dt.datetime.fromtimestamp((slot + 1) * DEBOUNCE_SECONDS, tz=dt.UTC)
        detect_population.using(run_after=run_after).enqueue(contest_id)
    else:
        detect_population.enqueue(contest_id)
    return True


def _contests_with_voters(now: dt.datetime) -> list[str]:
    from baqylau.crowd.models import CrowdBallot

    since = now - dt.timedelta(hours=1)
    contests = (
        CrowdBallot.objects.filter(created_at__gte=since)
        .values_list("contest_id", flat=True)
        .distinct()
    )
    slot = int(now.timestamp()) // 300
    return [f"{contest_id}:{slot}" for contest_id in contests]


@periodic("crowd.detect.sweep", due=_contests_with_voters)
def sweep(key: str) -> None:
    detect_population.enqueue(int(key.split(":")[0]))


@job(retries=2)
def ballot_photo_process(ballot_id: int) -> dict | None:
    """A ballot photo's display copy and perceptual hash, and its match with the sample ballot
    (`photo_match`, marked choice, agreement; the tier follows through
    `crowd.services.set_photo_match`): `crowd.services.ballot_photo_complete`."""
    from baqylau.crowd.services import ballot_photo_complete

    ballot = ballot_photo_complete(ballot_id)
    if ballot is None:
        return None
    return {"ballot": ballot.pk, "photo_match": ballot.photo_match, "tier": ballot.tier}


__all__ = ["ballot_photo_process", "detect_population", "detection_schedule", "sweep"]
