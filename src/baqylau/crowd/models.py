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
    photo_hash = models.CharField(
        _("photo hash (256 bits)"),
        max_length=64,
        blank=True,
        help_text=_("DCT hash the duplicate-photo index searches (crowd.photo_index)."),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("same photo as"),
        help_text=_("The nearest earlier ballot of another voter with the same or a near photo."),
    )
    photo_match = models.BooleanField(
        _("photo shows this election's ballot"),
        null=True,
        blank=True,
        help_text=_("Compared with the official sample ballot; empty: not checked."),
    )
    photo_marked_choice = models.ForeignKey(
        Choice,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("choice marked on the photo"),
    )
    photo_choice_agrees = models.BooleanField(
        _("marked box agrees with the declared choice"),
        null=True,
        blank=True,
        help_text=_("Empty: the marked box could not be located, or no choice declared yet."),
    )
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


class CrowdPhotoKey(models.Model):
    """One key of a ballot photo in the duplicate-photo index (`crowd.photo_index`): 16 per photo,
    each a 16-bit chunk of its 256-bit hash with the chunk's number. A lookup is one indexed
    ``IN`` query over the 272 probe keys of the new photo."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="+")
    ballot = models.ForeignKey(CrowdBallot, on_delete=models.CASCADE, related_name="photo_keys")
    voter_id = models.BigIntegerField()
    key = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("photo index key")
        verbose_name_plural = _("photo index keys")
        indexes = [
            # covering on PostgreSQL (an index-only scan); other databases ignore `include`
            models.Index(
                fields=["contest", "key"], include=["ballot", "voter_id"], name="crowd_photo_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ballot_id}:{self.key:05x}"


class SampleBallot(models.Model):
    """The official sample ballot of a contest, uploaded by staff (kept as evidence). Voters'
    photos are matched with it (`crowd.ballot_match`); `boxes` maps its rows to choices."""

    contest = models.OneToOneField(Contest, on_delete=models.CASCADE, related_name="sample_ballot")
    photo = models.ForeignKey(MediaFile, on_delete=models.PROTECT, related_name="+")
    boxes = models.JSONField(
        _("boxes of the choices"),
        default=list,
        blank=True,
        help_text=_(
            "Found on upload, top to bottom: [{choice, x, y, w, h}] in the sample's pixels "
            "scaled to 1000 wide; may be corrected by hand."
        ),
    )
    uploaded_by = models.CharField(_("uploaded by"), max_length=150, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now=True)

    class Meta:
        verbose_name = _("sample ballot")
        verbose_name_plural = _("sample ballots")

    def __str__(self) -> str:
        return str(self.contest)
