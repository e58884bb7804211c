"""Evidence files and the integrity ledger.

A `MediaFile` keeps the original bytes as received, identified by their SHA-256 (content-addressed,
write-once); images also get a display copy re-encoded from pixels only (no EXIF, GPS or other
metadata). The `LedgerEntry` chain is append-only: each entry hashes the previous entry's hash,
so any edit, deletion or reordering is found by `baqylau ledger verify`.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from baqylau.intake.models import Submission

GENESIS_HASH = "0" * 64


class MediaFile(models.Model):
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="media", verbose_name=_("submission")
    )
    sha256 = models.CharField(_("SHA-256 of the original"), max_length=64, db_index=True)
    content_type = models.CharField(_("content type"), max_length=100)
    declared_type = models.CharField(
        _("type declared by the sender"),
        max_length=100,
        blank=True,
        help_text=_("Informational only; the content type is sniffed from the bytes."),
    )
    size = models.PositiveBigIntegerField(_("size, bytes"))
    original = models.CharField(_("stored original (relative path)"), max_length=500)
    display = models.CharField(_("display copy without metadata"), max_length=500, blank=True)
    display_sha256 = models.CharField(_("SHA-256 of the display copy"), max_length=64, blank=True)
    perceptual_hash = models.CharField(_("perceptual hash"), max_length=64, blank=True)
    page = models.PositiveSmallIntegerField(_("protocol page"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        permissions = [
            ("view_original", _("Can view original evidence files (with their metadata)")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(page__isnull=True) | Q(page__gte=1), name="media_page_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.content_type} {self.sha256[:12]}"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def is_video(self) -> bool:
        return self.content_type.startswith("video/")


class LedgerEntry(models.Model):
    """One link of the hash chain. Never updated or deleted (see `evidence.ledger`)."""

    class Kind(models.TextChoices):
        SUBMISSION = "submission", _("submission")
        MEDIA = "media", _("evidence file")
        DECISION = "decision", _("moderation decision")
        DOCUMENT = "document", _("document")
        REJECTION = "rejection", _("rejected submission")
        REPORT = "report", _("report")
        PROTOCOL = "protocol", _("protocol copy")
        OFFICIAL = "official", _("official result")
        DELETION = "deletion", _("deletion")
        RECORD = "record", _("other record")

    seq = models.PositiveBigIntegerField(_("sequence number"), unique=True)
    kind = models.CharField(_("kind"), max_length=32)
    ref = models.CharField(
        _("object reference"), max_length=200, help_text=_('"app.model:pk" of the record.')
    )
    content = models.JSONField(_("recorded content"))
    content_hash = models.CharField(_("SHA-256 of the canonical content"), max_length=64)
    prev_hash = models.CharField(_("previous entry's hash"), max_length=64)
    entry_hash = models.CharField(_("entry hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["seq"]
        indexes = [models.Index(fields=["ref", "seq"], name="ledger_ref_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.ref}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("ledger entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("ledger entries are append-only")


class LedgerHead(models.Model):
    """The single row holding the chain's head; locked (FOR UPDATE) to serialise appends."""

    seq = models.PositiveBigIntegerField(_("sequence number"), default=0)
    entry_hash = models.CharField(_("head hash"), max_length=64, default=GENESIS_HASH)
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger head")
        verbose_name_plural = _("ledger head")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="ledger_head_single_row")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.entry_hash[:16]}"


class LedgerDigest(models.Model):
    """A published root digest: the head hash at a sequence number, for the public site."""

    seq = models.PositiveBigIntegerField(_("sequence number"))
    head_hash = models.CharField(_("head hash"), max_length=64)
    created_at = models.DateTimeField(_("published"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("ledger digest")
        verbose_name_plural = _("ledger digests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.head_hash[:16]}"

    def as_dict(self) -> dict:
        return {
            "sequence": self.seq,
            "head_hash": self.head_hash,
            "published_at": self.created_at.isoformat(),
        }
