"""Protocol copies: one station's results protocol as received from one source, with the outcome
of the automatic checks and of moderation. Form definitions are data: see `forms/` and `engine/`.
The station's observed result reconciled from its copies is the tally's (`tally.models`).

Statuses follow the glossary: a copy is received, then it passed or failed the checks, then a
moderator accepts or rejects it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import AdminUnit, Choice, Contest
from baqylau.intake.models import Submission


class CopyChecks(models.TextChoices):
    PASSED = "passed", _("passed the checks")
    FAILED = "failed", _("failed the checks")


class CopyModeration(models.TextChoices):
    PENDING = "pending", _("waiting for a moderator")
    ACCEPTED = "accepted", _("accepted by a moderator")
    REJECTED = "rejected", _("rejected by a moderator")


class ProtocolCopy(models.Model):
    Checks = CopyChecks
    Moderation = CopyModeration

    class Source(models.TextChoices):
        OBSERVER = "observer", _("observer")
        ORGANISATION = "organisation", _("organisation")
        VOTER = "voter", _("voter")
        IMPORT = "import", _("import")

    submission = models.OneToOneField(
        Submission,
        on_delete=models.PROTECT,
        related_name="protocol_copy",
        verbose_name=_("submission"),
    )
    contest = models.ForeignKey(
        Contest, on_delete=models.CASCADE, related_name="protocol_copies", verbose_name=_("contest")
    )
    station = models.ForeignKey(
        AdminUnit,
        on_delete=models.CASCADE,
        related_name="protocol_copies",
        verbose_name=_("station"),
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    source_ref = models.CharField(_("source reference (pseudonymous)"), max_length=128, blank=True)
    received_at = models.DateTimeField(_("received"), db_index=True)
    pages_received = models.PositiveSmallIntegerField(_("pages photographed"), default=0)
    checks = models.CharField(_("checks"), max_length=16, choices=Checks.choices)
    findings = models.JSONField(_("protocol-check findings"), default=list, blank=True)
    moderation = models.CharField(
        _("moderation"), max_length=16, choices=Moderation.choices, default=Moderation.PENDING
    )
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("locked by"),
    )
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("protocol copy")
        verbose_name_plural = _("protocol copies")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["contest", "station"], name="copy_station"),
            models.Index(fields=["contest", "moderation", "checks"], name="copy_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(checks__in=CopyChecks.values), name="copy_checks_known"
            ),
            models.CheckConstraint(
                condition=Q(moderation__in=CopyModeration.values), name="copy_moderation_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station} · {self.received_at:%Y-%m-%d %H:%M}"


class CopyLine(models.Model):
    copy = models.ForeignKey(ProtocolCopy, on_delete=models.CASCADE, related_name="lines")
    line = models.CharField(_("protocol line"), max_length=16)
    value = models.PositiveIntegerField(_("value"))

    class Meta:
        verbose_name = _("protocol copy line")
        verbose_name_plural = _("protocol copy lines")
        constraints = [
            models.UniqueConstraint(fields=["copy", "line"], name="copy_line_unique"),
            models.CheckConstraint(condition=Q(value__gte=0), name="copy_line_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.line} = {self.value}"


class CopyVote(models.Model):
    copy = models.ForeignKey(ProtocolCopy, on_delete=models.CASCADE, related_name="votes")
    choice = models.ForeignKey(Choice, on_delete=models.CASCADE, related_name="+")
    votes = models.PositiveIntegerField(_("votes"))

    class Meta:
        verbose_name = _("protocol copy votes")
        verbose_name_plural = _("protocol copy votes")
        constraints = [
            models.UniqueConstraint(fields=["copy", "choice"], name="copy_vote_unique"),
            models.CheckConstraint(condition=Q(votes__gte=0), name="copy_vote_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.choice_id}: {self.votes}"


class ElectionPolicy(models.Model):
    """Per-election settings of the protocol checks (turnout threshold, pages, register, ...).

    `validation` holds the engine's `ValidationPolicy` settings as JSON, e.g.
    ``{"turnout_review_above": 0.7, "pages_missing_severity": "error"}``; unknown keys are refused
    when the policy is saved through `protocols.services.election_policy_set`.
    """

    election = models.OneToOneField(
        "elections.Election",
        on_delete=models.CASCADE,
        related_name="protocol_policy",
        verbose_name=_("election"),
    )
    validation = models.JSONField(_("validation settings"), default=dict, blank=True)
    auto_accept_valid = models.BooleanField(
        _("accept copies that pass every check without a moderator"), default=False
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("protocol checks policy")
        verbose_name_plural = _("protocol checks policies")

    def __str__(self) -> str:
        return str(self.election)
