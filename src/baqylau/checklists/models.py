"""Staff work on checklist reports: decisions on reports a quality rule flagged, and the call log
of reports confirmed by phone. The reports themselves are the `reports` app's `ChecklistAnswer`
rows, written by the one intake; the quality rules are data in the checklist forms
(`reports/forms/*.yaml`, `rules:`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from baqylau.intake.models import Submission


class FlagDecision(models.Model):
    """A staff decision on a report one quality rule flagged: the answers are verified (counted)
    or rejected (left out of every figure). Never edited: a later decision supersedes."""

    class Verdict(models.TextChoices):
        VERIFIED = "verified", _("verified")
        REJECTED = "rejected", _("rejected")

    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="+", verbose_name=_("report")
    )
    rule = models.CharField(_("quality rule"), max_length=64)
    verdict = models.CharField(_("decision"), max_length=16, choices=Verdict.choices)
    note = models.TextField(_("note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), auto_now_add=True)

    class Meta:
        verbose_name = _("decision on a flagged checklist")
        verbose_name_plural = _("decisions on flagged checklists")
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict__in=("verified", "rejected")), name="flag_decision_verdict"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.rule} {self.verdict}"


class ConfirmationCall(models.Model):
    """A phone call to confirm a report: who called, when, what came of it, a note."""

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", _("the observer confirmed the report")
        CORRECTED = "corrected", _("the observer corrected the report (see the note)")
        NO_ANSWER = "no_answer", _("no answer")
        WRONG_NUMBER = "wrong_number", _("wrong number")

    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="+", verbose_name=_("report")
    )
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("called by"),
    )
    called_at = models.DateTimeField(_("called at"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("confirmation call")
        verbose_name_plural = _("confirmation calls")
        ordering = ["-called_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=("confirmed", "corrected", "no_answer", "wrong_number")),
                name="confirmation_call_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="corrected") | ~Q(note=""),
                name="confirmation_call_correction_has_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.outcome}"
