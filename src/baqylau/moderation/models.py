"""Moderation decisions and the reject-reason catalogue (data, editable by admins)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import MultilingualName
from baqylau.protocols.models import ProtocolCopy


class RejectReason(MultilingualName):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reject reason")
        verbose_name_plural = _("reject reasons")
        ordering = ["code"]


class Decision(models.Model):
    """One moderator's decision on one protocol copy; never edited, a new decision supersedes."""

    class Verdict(models.TextChoices):
        ACCEPT = "accept", _("accept")
        REJECT = "reject", _("reject")

    copy = models.ForeignKey(ProtocolCopy, on_delete=models.CASCADE, related_name="decisions")
    verdict = models.CharField(_("decision"), max_length=8, choices=Verdict.choices)
    reason = models.ForeignKey(RejectReason, on_delete=models.PROTECT, null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), auto_now_add=True)

    class Meta:
        verbose_name = _("moderation decision")
        verbose_name_plural = _("moderation decisions")
        ordering = ["-decided_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verdict="accept") | models.Q(reason__isnull=False),
                name="decision_reject_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} · {self.copy_id}"
