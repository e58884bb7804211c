"""Client receipts: the idempotency keys of the observer app's outbox.

Every item in a phone's outbox carries a UUID made on the phone. The first request with that key
claims a `ClientReceipt`; a resend after a lost response finds it and gets the stored answer back
instead of creating the report twice. A rejected (or failed) key may be sent again — after the
observer fixed the item, or after what made it fail (e.g. a missing assignment) was fixed.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from baqylau.intake.models import Submission
from baqylau.observers.models import Observer


class ClientReceipt(models.Model):
    class State(models.TextChoices):
        PROCESSING = "processing", _("being handled")
        RECORDED = "recorded", _("received")
        WAITING = "waiting", _("received, waiting for a moderator")
        REJECTED = "rejected", _("received, not recorded")
        FAILED = "failed", _("failed (server error)")

    observer = models.ForeignKey(Observer, on_delete=models.PROTECT, related_name="+")
    key = models.UUIDField(_("client key"))
    kind = models.CharField(_("report kind"), max_length=16)
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    record_id = models.BigIntegerField(_("record id"), null=True, blank=True)
    response = models.JSONField(_("answer sent"), default=dict, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    #: The server process handling the key right now ("host:pid:token"), see `services._claim`.
    holder = models.CharField(_("being handled by"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("client receipt")
        verbose_name_plural = _("client receipts")
        constraints = [
            models.UniqueConstraint(fields=["observer", "key"], name="client_receipt_unique"),
        ]
        indexes = [models.Index(fields=["observer", "-updated_at"], name="client_receipt_recent")]

    def __str__(self) -> str:
        return f"{self.observer_id} {self.key} {self.state}"
