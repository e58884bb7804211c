"""Precomputed totals per unit, so public pages never aggregate stations per request.

They are derived data: `services.rebuild_summaries(election)` recomputes them from the stations
and their official results after every import or simulation load.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import AdminUnit


class UnitStats(models.Model):
    """Everything a public page shows about one unit, precomputed by `services.rebuild_stats`.

    `data` (see `services._unit_data` for the keys): counters (ballot photos, protocol copies by
    status and reject reason, violations by type, bot users, stations covered), per contest the
    official / observed / crowd figures by choice id with their stations, turnout, the election
    day curve, the comparison findings (counts and the first few, in plain data) and the map
    measures. A page reads one row for its unit and one per child: no aggregation per request.
    """

    unit = models.OneToOneField(
        AdminUnit, on_delete=models.CASCADE, related_name="stats", verbose_name=_("unit")
    )
    election = models.ForeignKey(
        "elections.Election", on_delete=models.CASCADE, related_name="+", verbose_name=_("election")
    )
    data = models.JSONField(_("figures"), default=dict)
    computed_at = models.DateTimeField(_("computed"), auto_now=True)

    class Meta:
        verbose_name = _("unit statistics")
        verbose_name_plural = _("unit statistics")

    def __str__(self) -> str:
        return f"stats of unit {self.unit_id}"


class Snapshot(models.Model):
    """The figures published at a set hour of election day (13:00, 15:00, 20:00, ...).

    `data` maps unit ids (as strings: the country and the regions) to a copy of their counters,
    turnout and per-contest shares at publication; it never changes afterwards.
    """

    election = models.ForeignKey(
        "elections.Election",
        on_delete=models.CASCADE,
        related_name="snapshots",
        verbose_name=_("election"),
    )
    at = models.DateTimeField(_("as of"))
    published_at = models.DateTimeField(_("published"), auto_now_add=True)
    data = models.JSONField(_("figures"), default=dict)

    class Meta:
        verbose_name = _("published snapshot")
        verbose_name_plural = _("published snapshots")
        ordering = ["election", "at"]
        constraints = [
            models.UniqueConstraint(fields=["election", "at"], name="snapshot_unique_time"),
        ]

    def __str__(self) -> str:
        return f"{self.election_id} @ {self.at:%Y-%m-%d %H:%M}"
