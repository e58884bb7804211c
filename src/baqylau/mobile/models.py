"""Mobile groups: roving lawyers and experienced observers, registered with the area they cover,
sent to a station from a critical incident. What the group does there (its arrival, what it
found, the act it drew up) arrives as ordinary reports through the intake writer; the dispatch
links them to the incident and to the legal follow-up."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import AdminUnit
from baqylau.intake.models import Submission
from baqylau.observers.models import Observer, Organisation
from baqylau.reports.models import Incident


class MobileGroup(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=200)
    area = models.ForeignKey(
        AdminUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    members = models.ManyToManyField(
        Observer, related_name="mobile_groups", verbose_name=_("members")
    )
    lawyer_on_board = models.BooleanField(_("a lawyer in the group"), default=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("mobile group")
        verbose_name_plural = _("mobile groups")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="mobile_group_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def ledger_content(self) -> dict:
        return {
            "organisation": self.organisation_id,
            "name": self.name,
            "area": self.area_id,
            "members": sorted(self.members.values_list("public_id", flat=True)),
            "lawyer_on_board": self.lawyer_on_board,
            "active": self.active,
        }


class Dispatch(models.Model):
    """A group sent to a station about an incident."""

    class Status(models.TextChoices):
        SENT = "sent", _("sent")
        ARRIVED = "arrived", _("arrived")
        REPORTED = "reported", _("reported")
        CANCELLED = "cancelled", _("cancelled")

    group = models.ForeignKey(MobileGroup, on_delete=models.PROTECT, related_name="dispatches")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="+")
    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="+")
    station = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SENT
    )
    instructions = models.TextField(_("instructions"), blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    arrival = models.ForeignKey(
        Submission, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    report = models.ForeignKey(
        Submission, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notified = models.PositiveSmallIntegerField(_("members told in the bot"), default=0)

    class Meta:
        verbose_name = _("dispatch of a mobile group")
        verbose_name_plural = _("dispatches of mobile groups")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            # one open task per group: a group is in one place at a time
            models.UniqueConstraint(
                fields=["group"],
                condition=Q(status__in=["sent", "arrived"]),
                name="dispatch_one_open_per_group",
            ),
            models.CheckConstraint(
                condition=~Q(status="reported") | Q(report__isnull=False),
                name="dispatch_reported_has_report",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group} → {self.station_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.SENT, self.Status.ARRIVED)

    def ledger_content(self) -> dict:
        return {
            "group": self.group_id,
            "incident": self.incident_id,
            "station": self.station_id,
            "status": self.status,
            "sent_by": self.sent_by_id,
            "sent_at": self.sent_at,
            "arrival": self.arrival_id,
            "report": self.report_id,
        }
