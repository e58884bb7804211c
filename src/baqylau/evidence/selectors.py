"""Read-side queries on evidence files and the ledger."""

from __future__ import annotations

from django.db.models import QuerySet

from baqylau.evidence.models import LedgerDigest, LedgerEntry, MediaFile


def media_of(submission) -> QuerySet[MediaFile]:
    """A submission's files, by page."""
    return MediaFile.objects.filter(submission=submission).order_by("page", "id")


def media_with_sha256(sha256: str) -> QuerySet[MediaFile]:
    """Every file with exactly these bytes (the same photo sent again, by anyone)."""
    return MediaFile.objects.filter(sha256=sha256.lower()).order_by("id")


def entries_for(instance) -> QuerySet[LedgerEntry]:
    """The ledger entries of one record, oldest first."""
    return LedgerEntry.objects.filter(ref=f"{instance._meta.label_lower}:{instance.pk}").order_by(
        "seq"
    )


def latest_digest() -> LedgerDigest | None:
    return LedgerDigest.objects.order_by("-created_at", "-id").first()
