"""Protocol copies (one station's results protocol as received from one source) and the
reconciled observed result of each station. Form definitions are data: see `forms/` and `engine/`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import AdminUnit, Choice, Contest
from baqylau.intake.models import Submission


class ProtocolCopy(models.Model):
    class Source(models.TextChoices):
        OBSERVER = "observer", _("observer")
        ORGANISATION = "organisation", _("organisation")
        VOTER = "voter", _("voter")
        IMPORT = "import", _("import")

    class Validation(models.TextChoices):
        ACCEPTED = "accepted", _("adds up")
        REVIEW = "review", _("needs review")
        REJECTED = "rejected", _("rejected by the checks")

    class Moderation(models.TextChoices):
        PENDING = "pending", _("waiting for a moderator")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")

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
    validation = models.CharField(_("checks"), max_length=16, choices=Validation.choices)
    findings = models.JSONField(_("findings"), default=list, blank=True)
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
            models.Index(fields=["contest", "moderation", "validation"], name="copy_queue"),
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


class StationResult(models.Model):
    """The observed result of one station, reconciled from its accepted copies.

    Derived data, rebuilt from the copies by `protocols.reconciliation`: the settled figures are
    kept on the row itself (``lines``: line code → value, ``votes``: choice id as a string →
    votes; a disputed or missing figure is absent), with the ids of the copies taking part
    (``copy_ids``), all written with the row in one set-based statement.
    """

    class Status(models.TextChoices):
        AGREED = "agreed", _("copies agree")
        CONFLICT = "conflict", _("copies disagree")
        RESOLVED = "resolved", _("resolved by a moderator")

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="station_results")
    station = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="station_results")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    copies_count = models.PositiveSmallIntegerField(_("copies"), default=0)
    lines = models.JSONField(_("settled lines"), default=dict, blank=True)
    votes = models.JSONField(_("settled votes by choice id"), default=dict, blank=True)
    copy_ids = models.JSONField(_("copies taking part"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("observed station result")
        verbose_name_plural = _("observed station results")
        constraints = [
            models.UniqueConstraint(fields=["contest", "station"], name="station_result_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.station} · {self.get_status_display()}"

    @property
    def copies(self):
        """The copies taking part in this result."""
        return ProtocolCopy.objects.filter(pk__in=self.copy_ids or [])

    def votes_by_choice(self) -> dict[int, int]:
        return {int(choice_id): int(v) for choice_id, v in (self.votes or {}).items()}


class Conflict(models.Model):
    """Copies of one station that disagree on one line or one choice, for a moderator."""

    result = models.ForeignKey(StationResult, on_delete=models.CASCADE, related_name="conflicts")
    line = models.CharField(_("protocol line"), max_length=16, blank=True)
    choice = models.ForeignKey(
        Choice, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    values = models.JSONField(_("values by copy"), help_text=_('[{"copy": id, "value": n}, ...]'))
    resolved_value = models.PositiveIntegerField(_("chosen value"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution_reason = models.TextField(_("reason"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("conflict between copies")
        verbose_name_plural = _("conflicts between copies")
        constraints = [
            models.CheckConstraint(
                condition=(Q(choice__isnull=True) & ~Q(line=""))
                | (Q(choice__isnull=False) & Q(line="")),
                name="conflict_line_xor_choice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.result_id} · {self.line or self.choice_id}"


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
