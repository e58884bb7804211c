"""The voters' exit poll: voters (keyed hashes only) and their ballot photos.

Every message a voter sends is first stored as a `Submission` (kind ``crowd_ballot``); a
`CrowdBallot` is derived from it. Spam is never counted but kept, with its reasons, for review.
"""

from __future__ import annotations

from django.conf import settings
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
    # Population signals (`crowd.population`): coarse, never identifying on their own.
    id_block = models.BigIntegerField(
        _("account id block"),
        null=True,
        blank=True,
        help_text=_("Telegram id divided by 2^20: accounts created about the same time."),
    )
    client = models.CharField(_("client signature"), max_length=32, blank=True)
    cluster = models.ForeignKey(
        "SuspectCluster",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="voters",
    )

    class Meta:
        verbose_name = _("voter (exit poll)")
        verbose_name_plural = _("voters (exit poll)")

    def __str__(self) -> str:
        return self.voter_hash[:12]


class CrowdPhone(models.Model):
    """A phone number a voter shared with the bot's contact button, by a keyed hash (never the
    number): one phone number is one vote per election, whatever account sends it."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="+")
    voter = models.ForeignKey(CrowdVoter, on_delete=models.CASCADE, related_name="phones")
    phone_hash = models.CharField(_("phone number (keyed hash)"), max_length=64)
    created_at = models.DateTimeField(_("verified"), auto_now_add=True)

    class Meta:
        verbose_name = _("voter's phone (keyed hash)")
        verbose_name_plural = _("voters' phones (keyed hashes)")
        constraints = [
            models.UniqueConstraint(
                fields=["election", "phone_hash"], name="crowd_one_phone_one_vote"
            ),
            models.UniqueConstraint(fields=["election", "voter"], name="crowd_one_phone_per_voter"),
        ]

    def __str__(self) -> str:
        return self.phone_hash[:12]


class SuspectCluster(models.Model):
    """Accounts that look like one operator (`crowd.population`): their ballots wait, not
    counted, until a moderator accepts or rejects them all."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for a moderator")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected as spam")

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="+")
    signature = models.CharField(_("signature"), max_length=200)
    reasons = models.JSONField(_("reasons"), default=list)
    stats = models.JSONField(_("figures"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    created_at = models.DateTimeField(_("flagged"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("suspect group of accounts")
        verbose_name_plural = _("suspect groups of accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["contest", "signature"], name="crowd_cluster_signature_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "accepted", "rejected"]),
                name="crowd_cluster_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signature} ({self.status})"


class ClusterDecision(models.Model):
    """A moderator's decision on a whole suspect group (a new row each time, ledgered)."""

    class Verdict(models.TextChoices):
        ACCEPT = "accept", _("accept all")
        REJECT = "reject", _("reject all as spam")

    cluster = models.ForeignKey(SuspectCluster, on_delete=models.PROTECT, related_name="decisions")
    verdict = models.CharField(_("decision"), max_length=8, choices=Verdict.choices)
    reason = models.TextField(_("reason"))
    ballots = models.PositiveIntegerField(_("ballots decided"), default=0)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("decided"), auto_now_add=True)

    class Meta:
        verbose_name = _("decision on a suspect group")
        verbose_name_plural = _("decisions on suspect groups")
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict__in=["accept", "reject"]) & ~Q(reason=""),
                name="crowd_cluster_decision_reasoned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} #{self.cluster_id}"


class CrowdBallot(models.Model):
    class Tier(models.TextChoices):
        """How much the ballot is trusted; only the verified tiers make the headline."""

        PHONE_VERIFIED = "phone_verified", _("phone verified")
        PHOTO_MATCHED = "photo_matched", _("photo matches the sample ballot")
        UNVERIFIED = "unverified", _("unverified")

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
    photo_marked_choice = models.ForeignKey(
        Choice,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("choice marked on the photo"),
    )
    counted = models.BooleanField(_("counted"), default=False)
    tier = models.CharField(
        _("trust tier"), max_length=16, choices=Tier.choices, default=Tier.UNVERIFIED
    )
    #: Set by the sample-ballot matcher: the photo shows this election's ballot form (None: not
    #: checked yet), and the marked box agrees with the declared choice (None: not readable).
    photo_match = models.BooleanField(_("photo matches the sample ballot"), null=True, blank=True)
    photo_choice_agrees = models.BooleanField(
        _("marked box agrees with the choice"), null=True, blank=True
    )
    #: Another account sent the same or a near photo after this one: the photo is then no
    #: evidence of this account's vote (a fake clone sends harvested photos on first; an attacker
    #: sends near-copies of one real ballot), so it cannot give the photo-matched tier.
    photo_shared = models.BooleanField(
        _("photo sent from another account too"),
        default=False,
        help_text=_("A later ballot of another voter has the same or a near photo."),
    )
    held = models.BooleanField(
        _("held for review"),
        default=False,
        help_text=_("Its account is in a suspect group waiting for a moderator."),
    )
    cluster = models.ForeignKey(
        SuspectCluster, on_delete=models.SET_NULL, null=True, blank=True, related_name="ballots"
    )
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
            models.CheckConstraint(
                condition=Q(tier__in=["phone_verified", "photo_matched", "unverified"]),
                name="crowd_ballot_tier_valid",
            ),
            # Photo-matched only when the form matched, the marked box does not disagree and no
            # other account sent the same photo.
            models.CheckConstraint(
                condition=~Q(tier="photo_matched")
                | (Q(photo_match=True) & ~Q(photo_choice_agrees=False) & Q(photo_shared=False)),
                name="crowd_photo_matched_tier_has_match",
            ),
            models.CheckConstraint(
                condition=Q(held=False) | Q(counted=False), name="crowd_held_never_counted"
            ),
        ]
        indexes = [
            models.Index(fields=["contest", "station", "counted"], name="crowd_ballot_station"),
            models.Index(fields=["contest", "category"], name="crowd_ballot_category"),
            models.Index(fields=["contest", "tier", "counted"], name="crowd_ballot_tier"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} #{self.pk}"


#: The tiers the headline "from voters" figures and the crowd-vs-official findings rest on.
VERIFIED_TIERS = (CrowdBallot.Tier.PHONE_VERIFIED.value, CrowdBallot.Tier.PHOTO_MATCHED.value)


class CrowdCount(models.Model):
    """A crowd platform's count of one station and one choice, as the platform published it.

    Two figures per station and choice (as the Belarusian "Golos" platform gave them):
    ``registered``, the voters registered on the platform who declared this choice (with or
    without a photo of their ballot), and ``photo``, those of them who confirmed it with a photo.
    Rows are never changed: a new figure for the same station, choice and source is a new row (an
    import or an API submission), and the tally reads the latest one. Every row is in the ledger.
    Imported rows name their `ImportRun`; rows sent to the API name their envelope.
    """

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="crowd_counts")
    station = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="crowd_counts")
    choice = models.ForeignKey(Choice, on_delete=models.CASCADE, related_name="crowd_counts")
    source = models.CharField(
        _("source"), max_length=100, help_text=_("The crowd platform (or file) the count is from.")
    )
    registered = models.PositiveIntegerField(
        _("voters registered on the platform"), null=True, blank=True
    )
    photo = models.PositiveIntegerField(_("confirmed by a ballot photo"), null=True, blank=True)
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    import_run = models.ForeignKey(
        "elections.ImportRun", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("crowd count")
        verbose_name_plural = _("crowd counts")
        constraints = [
            models.CheckConstraint(
                condition=Q(registered__isnull=False) | Q(photo__isnull=False),
                name="crowd_count_has_a_figure",
            ),
            models.CheckConstraint(
                condition=Q(registered__isnull=True)
                | Q(photo__isnull=True)
                | Q(photo__lte=models.F("registered")),
                name="crowd_count_photo_le_registered",
            ),
        ]
        indexes = [
            models.Index(fields=["contest", "station", "choice", "source"], name="crowd_count_key")
        ]

    def __str__(self) -> str:
        return f"{self.station_id} · {self.choice_id}: {self.registered} / {self.photo}"


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
