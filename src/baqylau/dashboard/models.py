"""Precomputed totals per unit, so public pages never aggregate stations per request.

They are derived data: `services.rebuild_summaries(election)` recomputes them from the stations
and their official results after every import or simulation load.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import AdminUnit, Contest


class UnitSummary(models.Model):
    unit = models.OneToOneField(
        AdminUnit, on_delete=models.CASCADE, related_name="summary", verbose_name=_("unit")
    )
    stations = models.PositiveIntegerField(_("stations"))
    registered_voters = models.PositiveBigIntegerField(_("registered voters"))
    computed_at = models.DateTimeField(_("computed"), auto_now=True)

    class Meta:
        verbose_name = _("unit summary")
        verbose_name_plural = _("unit summaries")


class UnitContestSummary(models.Model):
    """Sums of the station-level official figures under one unit, for one contest.

    `lines` maps protocol line codes to sums; `votes` maps choice ids (as strings) to sums.
    """

    unit = models.ForeignKey(
        AdminUnit, on_delete=models.CASCADE, related_name="contest_summaries", verbose_name=_("unit")
    )
    contest = models.ForeignKey(
        Contest, on_delete=models.CASCADE, related_name="unit_summaries", verbose_name=_("contest")
    )
    stations_reporting = models.PositiveIntegerField(_("stations with official results"))
    lines = models.JSONField(_("protocol line totals"), default=dict)
    votes = models.JSONField(_("votes per choice"), default=dict)

    class Meta:
        verbose_name = _("unit contest summary")
        verbose_name_plural = _("unit contest summaries")
        constraints = [
            models.UniqueConstraint(fields=["unit", "contest"], name="unit_contest_summary_unique"),
            models.CheckConstraint(
                condition=Q(stations_reporting__gte=0), name="unit_summary_reporting_non_negative"
            ),
        ]
