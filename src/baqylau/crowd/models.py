"""The voters' exit poll: voters (keyed hashes only) and their ballot photos.

Every message a voter sends is first stored as a `Submission` (kind ``crowd_ballot``); a
`CrowdBallot` is derived from it. Spam is never counted but kept, with its reasons, for review.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import AdminUnit, Choice, Contest, Election
from baqylau.evidence.models import MediaFile
from baqylau.intake.models import Submission


class CrowdVoter(models.Model):
    """One Telegram account writing to the voters' bot, by an HMAC of its id (never the id)."""

    voter_hash = models.CharField(_("voter (keyed hash)"), max_length=64, unique=True)
    election = models.ForeignKey(
        Election, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    station = models.ForeignKey(
        AdminUnit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(_("language"), max_length=2, default="ru")
    first_seen = models.DateTimeField(_("first seen"), auto_now_add=True)
    messages = models.PositiveIntegerField(_("messages"), default=0)
    # Abuse counters: recent message times (unix) and content digests, the account's bucket.
    recent_times = models.JSONField(_("recent message times"), default=list, blank=True)
    recent_digests = models.JSONField(_("recent content digests"), default=list, blank=True)
    bucket_tokens = models.FloatField(null=True, blank=True)
    bucket_updated = models.FloatField(null=True, blank=True)
    new_account = models.BooleanField(
        _("new account"),
        default=False,
        help_text=_("Telegram id above the pre-campaign reference."),
    )
    spam = models.BooleanField(_("marked as spam"), default=False, db_index=True)
    spam_reasons = models.JSONField(_("spam reasons"), default=list, blank=True)

    class Meta:
        verbose_name = _("voter (exit poll)")
        verbose_name_plural = _("voters (exit poll)")

    def __str__(self) -> str:
        return self.voter_hash[:12]


class CrowdBallot(models.Model):
    class Category(models.TextChoices):
        PENDING = "pending", _("photo received, choice not given yet")
        VALID = "valid", _("valid choice")
        AGAINST_ALL = "against_all", _("against all")
        SPOILED = "spoiled", _("spoiled")
        NO_PHOTO = "no_photo", _("no photo")
        SPAM = "spam", _("spam")

    submission = models.OneToOneField(
        Submission, on_delete=models.PROTECT, related_name="crowd_ballot"
    )
    voter = models.ForeignKey(CrowdVoter, on_delete=models.PROTECT, related_name="ballots")
    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="crowd_ballots")
    station = models.ForeignKey(
        AdminUnit, on_delete=models.CASCADE, null=True, blank=True, related_name="crowd_ballots"
    )
    category = models.CharField(
        _("category"), max_length=16, choices=Category.choices, default=Category.PENDING
    )
    choice = models.ForeignKey(
        Choice, on_delete=models.SET_NULL, null=True, blank=True, related_name="crowd_ballots"
    )
    photo = models.ForeignKey(
        MediaFile, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    perceptual_hash = models.CharField(_("perceptual hash"), max_length=64, blank=True)
    counted = models.BooleanField(_("counted"), default=False)
    spam_reasons = models.JSONField(_("spam reasons"), default=list, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    decided_at = models.DateTimeField(_("choice given"), null=True, blank=True)

    class Meta:
        verbose_name = _("voter's ballot")
        verbose_name_plural = _("voters' ballots")
        constraints = [
            # Counted once per voter and station.
            models.UniqueConstraint(
                fields=["voter", "contest", "station"],
                condition=Q(counted=True),
                name="crowd_ballot_counted_once",
            ),
            models.CheckConstraint(
                condition=~Q(category="spam") | Q(counted=False), name="crowd_spam_never_counted"
            ),
        ]
        indexes = [
            models.Index(fields=["contest", "station", "counted"], name="crowd_ballot_station"),
            models.Index(fields=["contest", "category"], name="crowd_ballot_category"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} #{self.pk}"
