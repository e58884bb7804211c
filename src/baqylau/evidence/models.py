"""Evidence files. The original bytes are kept as received and identified by their SHA-256."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from baqylau.intake.models import Submission


class MediaFile(models.Model):
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="media", verbose_name=_("submission")
    )
    sha256 = models.CharField(_("SHA-256 of the original"), max_length=64, db_index=True)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size, bytes"))
    original = models.CharField(_("stored original (relative path)"), max_length=500)
    display = models.CharField(_("display copy without metadata"), max_length=500, blank=True)
    perceptual_hash = models.CharField(_("perceptual hash"), max_length=64, blank=True)
    page = models.PositiveSmallIntegerField(_("protocol page"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        constraints = [
            models.CheckConstraint(
                condition=Q(page__isnull=True) | Q(page__gte=1), name="media_page_positive"
            ),
        ]
