"""Telegram bots: conversation state, users (by keyed hash), observer links, switches, counters.

No Telegram user id is stored in the clear: users and conversation keys are HMAC-SHA256 hashes
(see `signing.keyed_hash`). The only exception is the chat id of a *linked observer*, needed to
send broadcasts: it is encrypted at rest with the observers' personal-data key.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import AdminUnit, Contest, Election
from baqylau.observers import crypto
from baqylau.observers.models import Observer


class BotName(models.TextChoices):
    ALAMAN = "alaman", _("Alaman (observers)")
    BAYGE = "bayge", _("Bayge (voters)")


class BotState(models.Model):
    """aiogram FSM state and data of one conversation (see `storage.DjangoStorage`)."""

    key_hash = models.CharField(_("conversation key (keyed hash)"), max_length=64, unique=True)
    bot = models.CharField(_("bot"), max_length=16, blank=True)
    state = models.CharField(_("state"), max_length=200, blank=True, default="")
    data = models.JSONField(_("data"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("conversation state")
        verbose_name_plural = _("conversation states")

    def __str__(self) -> str:
        return f"{self.bot} {self.state or '-'}"


class BotUser(models.Model):
    """Someone who wrote to a bot, known by a keyed hash of their Telegram id."""

    bot = models.CharField(_("bot"), max_length=16, choices=BotName.choices)
    user_hash = models.CharField(_("user (keyed hash)"), max_length=64)
    language = models.CharField(_("language"), max_length=2, default="ru")
    first_seen = models.DateTimeField(_("first seen"), auto_now_add=True)
    last_seen = models.DateTimeField(_("last seen"), auto_now=True)
    messages = models.PositiveIntegerField(_("messages"), default=0)

    class Meta:
        verbose_name = _("bot user")
        verbose_name_plural = _("bot users")
        constraints = [
            models.UniqueConstraint(fields=["bot", "user_hash"], name="bot_user_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.bot} {self.user_hash[:12]}"


class BotControl(models.Model):
    """Per-bot switches, set in the admin: pause intake, the contest the voters' bot polls."""

    bot = models.CharField(_("bot"), max_length=16, choices=BotName.choices, unique=True)
    username = models.CharField(
        _("official username"),
        max_length=64,
        blank=True,
        help_text=_("Filled from Telegram at start-up; shown on the public verification page."),
    )
    intake_paused = models.BooleanField(
        _("intake paused"),
        default=False,
        help_text=_("Paused bots answer politely and still store everything they receive."),
    )
    election = models.ForeignKey(
        Election, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    contest = models.ForeignKey(
        Contest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Bayge: the ballot voters photograph."),
    )
    id_reference = models.PositiveBigIntegerField(
        _("newest pre-campaign Telegram id"),
        null=True,
        blank=True,
        help_text=_("Accounts with a higher id count as new (a weak spam signal)."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("bot control")
        verbose_name_plural = _("bot controls")

    def __str__(self) -> str:
        return self.get_bot_display()


class LinkCode(models.Model):
    """A one-time code a coordinator gives an observer to link their Telegram account."""

    observer = models.ForeignKey(Observer, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(_("code (keyed hash)"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    created_by = models.CharField(_("issued by"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("link code")
        verbose_name_plural = _("link codes")

    def __str__(self) -> str:
        return f"{self.observer} · {self.expires_at:%Y-%m-%d %H:%M}"


class ObserverLink(models.Model):
    """An observer's Telegram account, linked with a one-time code."""

    observer = models.ForeignKey(Observer, on_delete=models.CASCADE, related_name="bot_links")
    user_hash = models.CharField(_("Telegram user (keyed hash)"), max_length=64)
    chat_id_encrypted = models.TextField(_("chat id (encrypted)"), editable=False)
    language = models.CharField(_("language"), max_length=2, default="ru")
    active = models.BooleanField(_("active"), default=True)
    linked_at = models.DateTimeField(_("linked"), auto_now_add=True)

    class Meta:
        verbose_name = _("observer's Telegram link")
        verbose_name_plural = _("observers' Telegram links")
        constraints = [
            models.UniqueConstraint(
                fields=["user_hash"], condition=Q(active=True), name="observer_link_active_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.observer} (Telegram)"

    @property
    def chat_id(self) -> int:
        return int(crypto.decrypt(self.chat_id_encrypted))

    @chat_id.setter
    def chat_id(self, value: int) -> None:
        self.chat_id_encrypted = crypto.encrypt(str(int(value)))


class RateBucket(models.Model):
    """A token bucket's state (`crowd.abuse.bucket_take`), shared by every bot process."""

    key = models.CharField(_("key"), max_length=120, unique=True)
    tokens = models.FloatField(_("tokens"))
    updated = models.FloatField(_("updated (unix time)"))

    class Meta:
        verbose_name = _("rate bucket")
        verbose_name_plural = _("rate buckets")

    def __str__(self) -> str:
        return self.key


class Broadcast(models.Model):
    """A message sent to the observers of a region."""

    bot = models.CharField(_("bot"), max_length=16, choices=BotName.choices, default=BotName.ALAMAN)
    region = models.ForeignKey(
        AdminUnit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("text"))
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    sent = models.PositiveIntegerField(_("sent"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    created_by = models.CharField(_("sent by"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} · {self.recipients}"
