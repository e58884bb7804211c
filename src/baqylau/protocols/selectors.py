"""Reads of the protocols app: a station's protocol copies, their figures and checks. (The
station's reconciled result and its conflicts are the tally's: `tally.selectors`.)"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from baqylau.elections.models import AdminUnit
from baqylau.protocols.models import CopyVote, ProtocolCopy


def localized_findings(findings: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Stored findings with the message in one language (kk, ru or en) next to their data."""
    rows = []
    for finding in findings or []:
        messages = finding.get("messages") or {}
        row = {key: value for key, value in finding.items() if key != "messages"}
        row["message"] = (
            messages.get(lang) or messages.get("ru") or next(iter(messages.values()), "")
        )
        rows.append(row)
    return rows


def station_get(station_id: int) -> AdminUnit | None:
    return (
        AdminUnit.objects.select_related("election")
        .filter(pk=station_id, kind=AdminUnit.Kind.STATION)
        .first()
    )


def station_copies(station: AdminUnit, *, contest=None) -> QuerySet[ProtocolCopy]:
    copies = ProtocolCopy.objects.filter(station=station).select_related("contest")
    if contest is not None:
        copies = copies.filter(contest=contest)
    return copies.prefetch_related(
        "lines", Prefetch("votes", queryset=CopyVote.objects.select_related("choice"))
    ).order_by("received_at", "pk")


def copy_lines(copy: ProtocolCopy) -> dict[str, int]:
    return {row.line: row.value for row in copy.lines.all()}


def copy_votes(copy: ProtocolCopy) -> list[tuple[Any, int]]:
    rows = sorted(copy.votes.all(), key=lambda v: (v.choice.number or 0, v.choice.code))
    return [(row.choice, row.votes) for row in rows]
