"""Read-side queries on the ledger."""

from __future__ import annotations

from django.db.models import QuerySet

from baqylau.evidence.models import LedgerDigest


def published_digests(limit: int = 100) -> QuerySet[LedgerDigest]:
    """The ledger's published root digests, latest first."""
    return LedgerDigest.objects.order_by("-created_at", "-id")[:limit]
