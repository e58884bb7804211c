"""Reads of the voters' count for moderators: the suspect groups of accounts and their ballots."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from baqylau.crowd.models import SuspectCluster

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
