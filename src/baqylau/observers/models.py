"""Organisations, coalitions, observers (pseudonymous), roles, placement, targets and the audit trail.

An observer is known to the rest of the system only by `public_id` (e.g. `OBS-7F3K2`). Name,
phone and identity document are encrypted at rest (see `crypto.py`) and are shown only to the
coordinators of the observer's own organisation (and to lawyers when the observer consented).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import AdminUnit, Election, MultilingualName
from baqylau.observers import crypto

PUBLIC_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed by hand
LANGUAGES = ("kk", "ru", "en")


def new_public_id() -> str:
    return "OBS-" + "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(5))


class Organisation(MultilingualName):
    class Kind(models.TextChoices):
        NGO = "ngo", _("NGO / civic group")
        PARTY = "party", _("political party")
        CANDIDATE = "candidate", _("candidate's campaign")
        COALITION_MEMBER = "coalition_member", _("coalition member")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["code"]


class Coalition(MultilingualName):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    organisations = models.ManyToManyField(
        Organisation, related_name="coalitions", blank=True, verbose_name=_("organisations")
    )

    class Meta:
        verbose_name = _("coalition")
        verbose_name_plural = _("coalitions")
        ordering = ["code"]


class Observer(models.Model):
    class BodyKind(models.TextChoices):
        NGO = "ngo", _("public association / NGO")
        PARTY = "party", _("political party")
        CANDIDATE = "candidate", _("candidate")
        MEDIA = "media", _("media")
        OTHER = "other", _("other")

    class Training(models.TextChoices):
        NONE = "none", _("not trained")
        ONLINE = "online", _("online course")
        TRAINED = "trained", _("trained")
        TRAINER = "trainer", _("trainer")

    public_id = models.CharField(
        _("public id"), max_length=16, unique=True, default=new_public_id, editable=False
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="observers",
        verbose_name=_("organisation"),
    )
    # Personal data: Fernet tokens, never plaintext. Use the properties below.
    name_encrypted = models.TextField(_("name (encrypted)"), blank=True, editable=False)
    phone_encrypted = models.TextField(_("phone (encrypted)"), blank=True, editable=False)
    document_encrypted = models.TextField(_("document (encrypted)"), blank=True, editable=False)
    phone_hash = models.CharField(
        _("phone look-up hash"), max_length=64, blank=True, db_index=True, editable=False
    )
    accreditation_body_kind = models.CharField(
        _("nominated by (kind)"), max_length=16, choices=BodyKind.choices, blank=True
    )
    accreditation_body_name = models.CharField(_("nominated by"), max_length=300, blank=True)
    accreditation_number = models.CharField(_("accreditation number"), max_length=64, blank=True)
    accreditation_date = models.DateField(_("accreditation date"), null=True, blank=True)
    training = models.CharField(
        _("training"), max_length=16, choices=Training.choices, default=Training.NONE
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    language = models.CharField(_("language of replies"), max_length=2, default="ru")
    availability = models.JSONField(
        _("available shifts"), default=list, blank=True, help_text=_('e.g. ["opening", "count"]')
    )
    consent_lawyers = models.BooleanField(
        _("consents to reveal identity to lawyers"), default=False
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("observer")
        verbose_name_plural = _("observers")
        ordering = ["public_id"]
        constraints = [
            # One phone → one observer, so an SMS sender is never ambiguous.
            models.UniqueConstraint(
                fields=["phone_hash"], condition=~Q(phone_hash=""), name="observer_phone_unique"
            ),
            models.CheckConstraint(
                condition=Q(language__in=LANGUAGES), name="observer_language_known"
            ),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def name(self) -> str:
        return crypto.decrypt(self.name_encrypted)

    @name.setter
    def name(self, value: str) -> None:
        self.name_encrypted = crypto.encrypt(value)

    @property
    def phone(self) -> str:
        return crypto.decrypt(self.phone_encrypted)

    @phone.setter
    def phone(self, value: str) -> None:
        normalised = crypto.normalise_phone(value)
        self.phone_encrypted = crypto.encrypt(normalised)
        self.phone_hash = crypto.phone_hash(normalised)

    @property
    def document(self) -> str:
        return crypto.decrypt(self.document_encrypted)

    @document.setter
    def document(self, value: str) -> None:
        self.document_encrypted = crypto.encrypt(value)


class Membership(models.Model):
    """A user's role in one organisation. Scope follows the role (see `selectors.py`)."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("platform administrator")
        COORDINATOR = "coordinator", _("organisation coordinator")
        REGIONAL = "regional", _("regional coordinator")
        MODERATOR = "moderator", _("moderator")
        LAWYER = "lawyer", _("lawyer")
        OBSERVER = "observer", _("observer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    region = models.ForeignKey(
        AdminUnit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("region (regional coordinators)"),
    )
    observer = models.OneToOneField(
        Observer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="membership",
        verbose_name=_("observer (observer accounts)"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique"
            ),
            models.CheckConstraint(
                condition=~Q(role="regional") | Q(region__isnull=False),
                name="membership_regional_has_region",
            ),
            models.CheckConstraint(
                condition=Q(role="regional") | Q(region__isnull=True),
                name="membership_region_only_regional",
            ),
            models.CheckConstraint(
                condition=(Q(role="observer") & Q(observer__isnull=False))
                | (~Q(role="observer") & Q(observer__isnull=True)),
                name="membership_observer_link",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.role}"


class Shift(models.TextChoices):
    OPENING = "opening", _("opening – midday")
    AFTERNOON = "afternoon", _("midday – close")
    COUNT = "count", _("count")


class Assignment(models.Model):
    """An observer placed at a station for one shift of one election."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="+")
    observer = models.ForeignKey(Observer, on_delete=models.CASCADE, related_name="assignments")
    station = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="assignments")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="assignments"
    )
    shift = models.CharField(_("shift"), max_length=16, choices=Shift.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["election", "observer", "shift"], name="assignment_one_station_per_shift"
            ),
        ]
        indexes = [models.Index(fields=["election", "station"], name="assignment_station")]

    def __str__(self) -> str:
        return f"{self.observer_id} @ {self.station_id} ({self.shift})"


class StationTarget(models.Model):
    """Observers wanted at a station: for one shift, or (``shift`` blank) for every shift that has
    no target of its own. A station with a target is planned; coverage is measured against it."""

    DEFAULT = 2

    station = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="+")
    shift = models.CharField(
        _("shift"), max_length=16, choices=Shift.choices, blank=True, default=""
    )
    observers = models.PositiveSmallIntegerField(_("observers wanted"), default=DEFAULT)

    class Meta:
        verbose_name = _("station target")
        verbose_name_plural = _("station targets")
        constraints = [
            models.CheckConstraint(
                condition=Q(observers__gte=2, observers__lte=3), name="station_target_2_to_3"
            ),
            models.UniqueConstraint(fields=["station", "shift"], name="station_target_per_shift"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id} {self.shift or '*'}: {self.observers}"


def target_for(targets: dict[tuple[int, str], int], station_id: int, shift: str) -> int | None:
    """The observers wanted at a station for a shift (its own target, else the station's target
    for every shift), None when the station has no plan for the shift."""
    found = targets.get((station_id, shift))
    return found if found is not None else targets.get((station_id, ""))


class RegionTarget(models.Model):
    """Stations an organisation network aims to cover in a region (any unit above stations)."""

    region = models.OneToOneField(AdminUnit, on_delete=models.CASCADE, related_name="+")
    stations = models.PositiveIntegerField(_("stations to cover"))

    class Meta:
        verbose_name = _("region target")
        verbose_name_plural = _("region targets")

    def __str__(self) -> str:
        return f"{self.region_id}: {self.stations}"


class AuditEvent(models.Model):
    """Every change to observers, placements, reports and decisions; written by the services."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_label = models.CharField(
        _("who (pseudonymous)"), max_length=128, blank=True, help_text=_("observer id or channel")
    )
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"
