"""Moderation decisions and the reject-reason catalogue (data, editable by admins)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import MultilingualName
from baqylau.protocols.models import ProtocolCopy
from baqylau.reports.models import Incident


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


class IncidentDecision(models.Model):
    """One moderator's decision on one violation report: confirmed or rejected, with the reason.
    Never edited: a later decision supersedes. Only confirmed violations are published."""

    class Verdict(models.TextChoices):
        CONFIRM = "confirm", _("confirm")
        REJECT = "reject", _("reject")

    class Reason(models.TextChoices):
        EVIDENCE = "evidence", _("the evidence shows the violation")
        CORROBORATED = "corroborated", _("confirmed by another observer or by phone")
        NO_EVIDENCE = "no_evidence", _("no evidence of a violation")
        NOT_A_VIOLATION = "not_a_violation", _("what is described is not a violation")
        DUPLICATE = "duplicate", _("the same violation was already reported")
        WRONG_STATION = "wrong_station", _("reported for the wrong polling station")
        OTHER = "other", _("other (see the note)")

    #: The reasons that fit each verdict.
    REASONS = {
        "confirm": (Reason.EVIDENCE, Reason.CORROBORATED, Reason.OTHER),
        "reject": (
            Reason.NO_EVIDENCE,
            Reason.NOT_A_VIOLATION,
            Reason.DUPLICATE,
            Reason.WRONG_STATION,
            Reason.OTHER,
        ),
    }

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="decisions")
    verdict = models.CharField(_("decision"), max_length=8, choices=Verdict.choices)
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), auto_now_add=True)

    class Meta:
        verbose_name = _("decision on a violation report")
        verbose_name_plural = _("decisions on violation reports")
        ordering = ["-decided_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verdict__in=("confirm", "reject")),
                name="incident_decision_verdict_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(reason="other") | ~models.Q(note=""),
                name="incident_decision_other_needs_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} · {self.incident_id}"
