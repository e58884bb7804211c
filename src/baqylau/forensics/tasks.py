"""Background job of the forensics app: the published report of an election's official results,
made again after every import of official results (it takes seconds to minutes: never in a
request)."""

from __future__ import annotations

import logging

from baqylau.elections.models import Election
from baqylau.forensics import services
from baqylau.jobs import job

logger = logging.getLogger(__name__)


@job(retries=2, priority=-10)
def publish_report(election_id: int, draws: int = 1000, seed: int = 0) -> bool:
    election = Election.objects.filter(pk=election_id).first()
    if election is None:
        return False
    try:
        services.publish_forensic_report(election, draws=draws, seed=seed)
    except ValueError as exc:  # the data cannot carry the methods (too few stations): no retry
        logger.info("no forensic report for %s: %s", election.code, exc)
        return False
    return True
