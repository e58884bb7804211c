"""Reads for the bots and for the dashboard (counts of bot users)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.utils import timezone

from baqylau.bots import keys
from baqylau.bots.models import BotControl, BotName, BotUser, ObserverLink
from baqylau.crowd.models import CrowdVoter
from baqylau.elections.models import AdminUnit
from baqylau.intake.models import Submission
from baqylau.observers.models import Assignment, Observer


def control(bot: str) -> BotControl | None:
    return BotControl.objects.filter(bot=bot).select_related("election", "contest").first()


def intake_paused(bot: str) -> bool:
    return BotControl.objects.filter(bot=bot, intake_paused=True).exists()


def bot_username(bot: str) -> str:
    return BotControl.objects.filter(bot=bot).values_list("username", flat=True).first() or ""


def observer_link(user_id: int) -> ObserverLink | None:
    return (
        ObserverLink.objects.filter(user_hash=keys.id_hash("user", user_id), active=True)
        .select_related("observer")
        .first()
    )


def observer_assignments(observer: Observer) -> list[Assignment]:
    """The observer's stations, most recent election first."""
    return list(
        Assignment.objects.filter(observer=observer)
        .select_related("station", "election")
        .order_by("-election__date", "shift")
    )


def observer_submissions(observer: Observer, limit: int = 10) -> list[dict[str, Any]]:
    """The observer's latest submissions with their moderation state."""
    from baqylau.intake.models import Rejection  # noqa: F401 (reverse accessor)
    from baqylau.protocols.models import ProtocolCopy
    from baqylau.reports.models import Incident

    rows = []
    submissions = list(
        Submission.objects.filter(sender=observer.public_id).order_by("-received_at")[:limit]
    )
    ids = [s.id for s in submissions]
    copies = {c.submission_id: c for c in ProtocolCopy.objects.filter(submission_id__in=ids)}
    incidents = {i.submission_id: i for i in Incident.objects.filter(submission_id__in=ids)}
    rejected = set(
        Submission.objects.filter(id__in=ids, rejection__isnull=False).values_list("id", flat=True)
    )
    for submission in submissions:
        state = "stored"
        if submission.id in rejected:
            state = "invalid"
        elif submission.id in copies:
            copy = copies[submission.id]
            state = copy.moderation if copy.moderation != "pending" else copy.checks
        elif submission.id in incidents:
            moderation = incidents[submission.id].moderation
            state = {"accepted": "confirmed", "pending": "pending"}.get(moderation, moderation)
        else:
            state = "stored"
        rows.append(
            {
                "id": str(submission.id),
                "kind": submission.kind,
                "kind_label": submission.get_kind_display(),
                "received_at": timezone.localtime(submission.received_at),
                "state": state,
            }
        )
    return rows


def bot_user_counts() -> dict[str, int]:
    """Users of each bot, for the dashboard's headline counters."""
    counts = {name: 0 for name in BotName.values}
    for row in BotUser.objects.values("bot").annotate(n=Count("id")):
        counts[row["bot"]] = row["n"]
    counts["bayge"] = CrowdVoter.objects.count()  # every voter who wrote (by keyed hash)
    counts["alaman_linked_observers"] = ObserverLink.objects.filter(active=True).count()
    return counts


def broadcast_recipients(region: AdminUnit | None) -> list[ObserverLink]:
    """Active linked observers with an assignment under the region (all when no region)."""
    links = ObserverLink.objects.filter(active=True, observer__active=True).select_related(
        "observer"
    )
    if region is not None:
        observers = Assignment.objects.filter(
            election=region.election, station__path__startswith=region.path + "/"
        ).values("observer_id")
        links = links.filter(observer_id__in=observers)
    return list(links.order_by("id"))


def linked_observer(voter: CrowdVoter) -> bool:
    """The voter's Telegram account is a linked observer's (the voter hash is the same keyed
    hash)."""
    return ObserverLink.objects.filter(user_hash=voter.voter_hash, active=True).exists()
