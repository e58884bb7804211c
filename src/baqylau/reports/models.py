"""Election-day reports, typed from their Submission envelopes.

Every record points at the Submission it was parsed from (stored first, never changed) and carries
the observer (pseudonymous), the station and the election. Forms are data: see `forms/*.yaml`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import AdminUnit, Election, MultilingualName
from baqylau.intake.models import Submission
from baqylau.observers.models import Observer


def validate_law_article(value: str) -> None:
    """Every article the catalogue cites is a reference listed in legal/citations.yaml (with the
    official title and the address of the text), printed per language by the one formatter."""
    from baqylau.legal.citations import CitationError, validate_refs

    try:
        validate_refs(value)
    except CitationError as exc:
        raise ValidationError(str(exc)) from exc


class ViolationType(MultilingualName):
    """The violation catalogue: data, editable by admins. Critical violations (stuffing, a
    protocol refused, observers removed, ...) come first in the moderators' queue and are
    highlighted on the coordinators' live view."""

    class Severity(models.TextChoices):
        CRITICAL = "critical", _("critical")
        SERIOUS = "serious", _("serious")
        MINOR = "minor", _("minor")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    law_article = models.CharField(
        _("articles of the law"),
        max_length=200,
        blank=True,
        validators=[validate_law_article],
        help_text=_(
            'References listed in legal/citations.yaml, separated by ";", e.g. '
            '"election_law 41(3,6); criminal_code 151".'
        ),
    )
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity.choices, default=Severity.SERIOUS
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("violation type")
        verbose_name_plural = _("violation types")
        ordering = ["position", "code"]


class ReportBase(models.Model):
    submission = models.OneToOneField(
        Submission, on_delete=models.PROTECT, related_name="+", verbose_name=_("submission")
    )
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="+")
    observer = models.ForeignKey(Observer, on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="+")
    received_at = models.DateTimeField(_("received"), db_index=True)

    class Meta:
        abstract = True


class CheckIn(ReportBase):
    class Status(models.TextChoices):
        ADMITTED = "admitted", _("arrived and admitted")
        NOT_ADMITTED = "not_admitted", _("not admitted")
        REMOVED = "removed", _("removed from the station")
        LEFT = "left", _("left at the end of the shift")

    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["admitted", "left"]) | ~Q(reason=""),
                name="checkin_refusal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station_id} {self.status}"


class ChecklistAnswer(models.Model):
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="+", verbose_name=_("submission")
    )
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="+")
    observer = models.ForeignKey(Observer, on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="+")
    received_at = models.DateTimeField(_("received"), db_index=True)
    form = models.CharField(_("form"), max_length=64)
    form_version = models.PositiveSmallIntegerField(_("form version"))
    question = models.CharField(_("question"), max_length=64)
    answer = models.BooleanField(_("answer"))

    class Meta:
        verbose_name = _("checklist answer")
        verbose_name_plural = _("checklist answers")
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "question"], name="checklist_answer_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station_id} {self.question}={self.answer}"


class TurnoutCount(ReportBase):
    """The observer's own count of voters at a time, beside the figure the commission announced."""

    at = models.DateTimeField(_("time of the count"))
    observer_count = models.PositiveIntegerField(_("observer's count"))
    commission_count = models.PositiveIntegerField(
        _("commission's announced figure"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("turnout count")
        verbose_name_plural = _("turnout counts")
        ordering = ["station", "at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(observer_count__gte=0), name="turnout_count_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(commission_count__isnull=True) | Q(commission_count__gte=0),
                name="turnout_commission_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station_id} {self.at:%H:%M} {self.observer_count}"


class Incident(ReportBase):
    class Moderation(models.TextChoices):
        PENDING = "pending", _("waiting for a moderator")
        ACCEPTED = "accepted", _("confirmed")
        REJECTED = "rejected", _("rejected by a moderator")

    violation = models.ForeignKey(
        ViolationType, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("type")
    )
    occurred_at = models.DateTimeField(_("time"))
    text = models.TextField(_("description"), blank=True)
    moderation = models.CharField(
        _("moderation"), max_length=16, choices=Moderation.choices, default=Moderation.PENDING
    )

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["election", "occurred_at"], name="incident_feed")]

    def __str__(self) -> str:
        return f"{self.station_id} {self.violation_id} {self.occurred_at:%H:%M}"


class Note(ReportBase):
    """A free-text report."""

    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("free-text report")
        verbose_name_plural = _("free-text reports")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.station_id}: {self.text[:40]}"
