"""The raw envelope of everything received. A Submission is written once and never changed:
every other record (protocol copies, turnout counts, incidents, crowd ballots) is derived from it
and can be recomputed. A submission that cannot be turned into a record keeps its Rejection.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import Election


class SubmissionChannel(models.TextChoices):
    WEB = "web", _("web app")
    API = "api", _("API")
    SMS = "sms", _("SMS")
    TELEGRAM = "telegram", _("Telegram")
    IMPORT = "import", _("bulk import")


class SubmissionKind(models.TextChoices):
    PROTOCOL = "protocol", _("results protocol")
    TURNOUT = "turnout", _("turnout count")
    INCIDENT = "incident", _("violation")
    CHECKIN = "checkin", _("check-in")
    CHECKLIST = "checklist", _("checklist answers")
    NOTE = "note", _("note")
    CROWD_BALLOT = "crowd_ballot", _("voter's ballot photo")
    CROWD_COUNT = "crowd_count", _("crowd platform's counts")
    OTHER = "other", _("other")


class Submission(models.Model):
    Channel = SubmissionChannel
    Kind = SubmissionKind

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    election = models.ForeignKey(
        Election,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="submissions",
        verbose_name=_("election"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    sender = models.CharField(
        _("sender (pseudonymous)"),
        max_length=128,
        blank=True,
        help_text=_("Observer pseudonym, organisation code or keyed hash; never a name."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submissions",
        verbose_name=_("user"),
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    payload = models.JSONField(_("payload"))
    payload_sha256 = models.CharField(_("payload SHA-256"), max_length=64)
    #: What makes two submissions of one sender the same record: the payload's SHA-256 for
    #: reports, the SHA-256 of the figures for a protocol copy (see `intake.writer`).
    dedupe_key = models.CharField(_("duplicate key"), max_length=64, blank=True, default="")
    language = models.CharField(_("sender's language"), max_length=2, default="ru")

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["election", "kind", "received_at"], name="submission_lookup"),
            # duplicate detection: the same sender and content (see `intake.writer`)
            models.Index(fields=["sender", "dedupe_key", "received_at"], name="submission_dedupe"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=SubmissionChannel.values),
                name="submission_channel_known",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=SubmissionKind.values), name="submission_kind_known"
            ),
            models.CheckConstraint(
                condition=models.Q(language__in=("kk", "ru", "en")),
                name="submission_language_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.id}"


class Rejection(models.Model):
    """Why a submission could not become a record (unknown station, unparseable, ...)."""

    submission = models.OneToOneField(
        Submission, on_delete=models.CASCADE, related_name="rejection", verbose_name=_("submission")
    )
    code = models.CharField(_("reason code"), max_length=64)
    messages = models.JSONField(_("messages (kk/ru/en)"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("rejected submission")
        verbose_name_plural = _("rejected submissions")

    def __str__(self) -> str:
        return f"{self.code} · {self.submission_id}"
