"""Derived records of the independent count. All of them are recomputed by
`tally.services.recount(contest)` from the observed station results and the official results.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import AdminUnit, Choice, Contest


class UnitCount(models.Model):
    """The observed count of one unit: what the accepted protocol copies under it add up to."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="unit_counts")
    unit = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="counts")
    stations_total = models.PositiveIntegerField(_("stations"))
    stations_covered = models.PositiveIntegerField(_("stations with an observed result"))
    registered_total = models.PositiveBigIntegerField(_("registered voters"))
    registered_covered = models.PositiveBigIntegerField(_("registered voters at covered stations"))
    lines = models.JSONField(_("observed line totals"), default=dict)
    votes = models.JSONField(_("observed votes by choice id"), default=dict)
    shares = models.JSONField(_("observed vote shares by choice id"), default=dict, blank=True)
    turnout = models.FloatField(_("observed turnout"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed"), auto_now=True)

    class Meta:
        verbose_name = _("observed count")
        verbose_name_plural = _("observed counts")
        constraints = [
            models.UniqueConstraint(fields=["contest", "unit"], name="unit_count_unique"),
            models.CheckConstraint(
                condition=models.Q(stations_covered__lte=models.F("stations_total")),
                name="unit_count_covered_le_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.stations_covered}/{self.stations_total}"


class Finding(models.Model):
    """A comparison finding between the observed count and the official result."""

    class Kind(models.TextChoices):
        STATION_DIFFERS = "station_differs", _("official figure differs from the signed copy")
        SUBSET_EXCEEDS_TOTAL = (
            "subset_exceeds_total",
            _("observed stations alone exceed the official total of the unit"),
        )
        PARTS_DO_NOT_SUM = "parts_do_not_sum", _("official total differs from the sum of its parts")
        CROWD_EXCEEDS_OFFICIAL = (
            "crowd_exceeds_official",
            _("voters' ballot photos exceed the official votes"),
        )

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="findings")
    unit = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    line = models.CharField(_("protocol line"), max_length=16, blank=True)
    choice = models.ForeignKey(
        Choice, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    observed = models.BigIntegerField(_("observed"), null=True, blank=True)
    official = models.BigIntegerField(_("official"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("computed"), auto_now=True)

    class Meta:
        verbose_name = _("comparison finding")
        verbose_name_plural = _("comparison findings")
        indexes = [models.Index(fields=["contest", "kind"], name="finding_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.unit}"

    @property
    def difference(self) -> int | None:
        if self.observed is None or self.official is None:
            return None
        return self.official - self.observed


class Estimate(models.Model):
    """An estimate of a choice's share in a unit from the observed stations (ratio estimator)."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="estimates")
    unit = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="estimates")
    choice = models.ForeignKey(Choice, on_delete=models.CASCADE, related_name="+")
    share = models.FloatField(_("estimated share"))
    margin = models.FloatField(_("margin of error (95%)"))
    stations_used = models.PositiveIntegerField(_("stations used"))
    random_sample = models.BooleanField(
        _("random sample"),
        default=False,
        help_text=_(
            "False when observed stations were not chosen at random: the margin then "
            "describes sampling noise only, not selection bias."
        ),
    )
    details = models.JSONField(
        _("details"),
        default=dict,
        blank=True,
        help_text=_("Method, label, strata used, and the verdict against the majority threshold."),
    )
    computed_at = models.DateTimeField(_("computed"), auto_now=True)

    class Meta:
        verbose_name = _("estimate")
        verbose_name_plural = _("estimates")
        constraints = [
            models.UniqueConstraint(fields=["contest", "unit", "choice"], name="estimate_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.choice}: {self.share:.1%} ± {self.margin:.1%}"
