"""Reads of the voters' count: for moderators, the suspect groups of accounts and their
ballots; for the public pages, what a station's "from voters" figures rest on (the counts are the
tally's, `tally.services.crowd_vs_official`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from baqylau.crowd import population
from baqylau.crowd.models import CrowdBallot, CrowdCount, SuspectCluster
from baqylau.elections.models import AdminUnit, Contest
from baqylau.tally.selectors import crowd_headline

#: Why a group is suspect (`crowd.population`), as moderators read it.
REASON_LABELS = {
    "id_range": _("accounts created about the same time (close Telegram ids)"),
    "timing": _("first messages within half an hour of each other"),
    "photo_similarity": _("similar ballot photos"),
    "surge": _("arrived in a surge of new accounts"),
    "choice_skew": _("choices far from those of phone-verified voters"),
}


def suspect_groups(status: str | None = SuspectCluster.Status.OPEN) -> QuerySet[SuspectCluster]:
    """Suspect groups (waiting first, newest first) with their accounts and held ballots."""
    groups = SuspectCluster.objects.select_related("contest__election").annotate(
        accounts=Count("voters", distinct=True),
        held_ballots=Count("ballots", filter=Q(ballots__held=True), distinct=True),
        all_ballots=Count("ballots", distinct=True),
    )
    if status:
        groups = groups.filter(status=status)
    return groups.order_by("status", "-created_at", "-pk")


def reason_labels(reasons: list[str]) -> list[str]:
    return [str(REASON_LABELS.get(code, code)) for code in reasons]


@dataclass(frozen=True)
class ContestDivergence:
    contest: Contest
    divergence: population.Divergence


def choice_divergences() -> list[ContestDivergence]:
    """Per contest with voters' ballots: the choices of counted unverified ballots against the
    phone-verified ones (chi-square, total variation distance), for moderators to read. It holds
    no ballot by itself: unverified ballots are never in the headline figures anyway."""
    rows = (
        CrowdBallot.objects.filter(counted=True, held=False)
        .exclude(category=CrowdBallot.Category.SPAM)
        .values_list("contest_id", "tier", "category", "choice_id")
        .annotate(n=Count("id"))
    )
    tables: dict[int, tuple[dict[str, int], dict[str, int]]] = {}
    for contest_id, tier, category, choice_id, n in rows:
        key = str(choice_id) if category == "valid" and choice_id else category
        unverified, verified = tables.setdefault(contest_id, ({}, {}))
        if tier == CrowdBallot.Tier.PHONE_VERIFIED:
            verified[key] = verified.get(key, 0) + n
        elif tier == CrowdBallot.Tier.UNVERIFIED:
            unverified[key] = unverified.get(key, 0) + n
    contests = Contest.objects.in_bulk(list(tables))
    out = []
    for contest_id, (unverified, verified) in sorted(tables.items()):
        result = population.divergence(unverified, verified)
        if result is not None:
            out.append(ContestDivergence(contests[contest_id], result))
    return out


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
    ballots of the verified tiers (`tally.selectors.crowd_headline`) by choice (with and without
    a photo) at a station: what its "from voters" figures rest on."""
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
        crowd_headline(CrowdBallot.objects.filter(station=station, choice__isnull=False))
        .exclude(category__in=("pending", "spoiled"))
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
