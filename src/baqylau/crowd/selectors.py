"""Reads of the voters' count for moderators: the suspect groups of accounts and their ballots."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from baqylau.crowd import population
from baqylau.crowd.models import CrowdBallot, SuspectCluster
from baqylau.elections.models import Contest

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
