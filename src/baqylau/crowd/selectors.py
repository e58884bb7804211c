"""Reads of the voters' figures for the public pages: what a station's "from voters" figures
rest on (the counts are the tally's, `tally.services.crowd_vs_official`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count

from baqylau.crowd.models import CrowdBallot, CrowdCount
from baqylau.elections.models import AdminUnit


@dataclass
class CrowdEvidence:
    """One figure from voters at a station: a platform's latest count or the bot's ballots."""

    contest: Any
    choice: Any
    source: str  # the platform, or "" for the voters' bot
    declared: int | None
    photo: int | None
    count_id: int | None = None  # the `CrowdCount` row (None: the bot's ballots)
    import_run_id: int | None = None
    submission_id: Any = None
    recorded_at: Any = None


def station_crowd_evidence(station: AdminUnit) -> list[CrowdEvidence]:
    """The platforms' latest counts (one per contest, choice and platform) and the bot's counted
    ballots by choice (with and without a photo) at a station."""
    latest: dict[tuple, CrowdCount] = {}
    for row in (
        CrowdCount.objects.filter(station=station)
        .select_related("contest", "choice")
        .order_by("id")
    ):
        latest[(row.contest_id, row.choice_id, row.source)] = row
    out = [
        CrowdEvidence(
            contest=r.contest,
            choice=r.choice,
            source=r.source,
            declared=r.registered,
            photo=r.photo,
            count_id=r.pk,
            import_run_id=r.import_run_id,
            submission_id=r.submission_id,
            recorded_at=r.recorded_at,
        )
        for r in latest.values()
    ]
    bot: dict[tuple, list] = {}
    for ballot in (
        CrowdBallot.objects.filter(station=station, counted=True, choice__isnull=False)
        .exclude(category__in=("spam", "pending", "spoiled"))
        .values("contest_id", "choice_id")
        .annotate(n=Count("id"), with_photo=Count("photo"))
        .order_by()
    ):
        pair = bot.setdefault((ballot["contest_id"], ballot["choice_id"]), [0, 0])
        pair[0] += ballot["n"]
        pair[1] += ballot["with_photo"]
    if bot:
        from baqylau.elections.models import Choice

        choices = {c.pk: c for c in Choice.objects.filter(pk__in=[c for _, c in bot])}
        for (_contest_id, choice_id), (declared, photo) in bot.items():
            choice = choices[choice_id]
            out.append(
                CrowdEvidence(
                    contest=choice.contest, choice=choice, source="", declared=declared, photo=photo
                )
            )
    out.sort(key=lambda e: (e.contest.pk, e.choice.number or 0, e.choice.pk, e.source))
    return out
