"""Records of the independent count: each station's observed result reconciled from its protocol
copies, the count of every unit, the comparison findings and the estimates. All of them are
derived, and recomputed by `tally.services.recount` (a whole contest, or only the stations that
changed and their ancestors) from the copies, the moderators' decisions and the official results.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import AdminUnit, Choice, Contest


class StationResult(models.Model):
    """The observed result of one station, reconciled from its copies.

    A figure is *settled* when the copies taking part agree on it (two or more copies, from
    different senders) or a moderator decided it (accepted a copy, or chose the value of a
    disputed figure), or the election's policy counts a single copy that passed every check.
    Only a settled station is counted and compared with the official result; a station whose
    copies disagree, or that has a single unmoderated copy, is waiting.

    The settled figures are kept on the row itself (``lines``: line code → value, ``votes``:
    choice id as a string → votes; a disputed or missing figure is absent), with the ids of the
    copies taking part (``copy_ids``), all written with the row in one set-based statement.
    """

    class Status(models.TextChoices):
        AGREED = "agreed", _("copies agree")
        SINGLE = "single", _("one copy, waiting for a second copy or a moderator")
        CONFLICT = "conflict", _("copies disagree, waiting for a moderator")
        RESOLVED = "resolved", _("settled by a moderator")
        #: The election's policy counts a single copy that passed every check.
        CHECKED = "checked", _("one copy that passed the checks, counted by the election's policy")

    SETTLED = (Status.AGREED, Status.RESOLVED, Status.CHECKED)

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="station_results")
    station = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="station_results")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    copies_count = models.PositiveSmallIntegerField(_("copies"), default=0)
    lines = models.JSONField(_("settled lines"), default=dict, blank=True)
    votes = models.JSONField(_("settled votes by choice id"), default=dict, blank=True)
    copy_ids = models.JSONField(_("copies taking part"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("observed station result")
        verbose_name_plural = _("observed station results")
        constraints = [
            models.UniqueConstraint(fields=["contest", "station"], name="station_result_unique"),
            models.CheckConstraint(
                condition=Q(status__in=("agreed", "single", "conflict", "resolved", "checked")),
                name="station_result_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station} · {self.get_status_display()}"

    @property
    def settled(self) -> bool:
        return self.status in self.SETTLED

    @property
    def copies(self):
        """The copies taking part in this result."""
        from baqylau.protocols.models import ProtocolCopy

        return ProtocolCopy.objects.filter(pk__in=self.copy_ids or [])

    def votes_by_choice(self) -> dict[int, int]:
        return {int(choice_id): int(v) for choice_id, v in (self.votes or {}).items()}


class Conflict(models.Model):
    """Copies of one station that disagree on one line or one choice, for a moderator."""

    result = models.ForeignKey(StationResult, on_delete=models.CASCADE, related_name="conflicts")
    line = models.CharField(_("protocol line"), max_length=16, blank=True)
    choice = models.ForeignKey(
        Choice, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    values = models.JSONField(_("values by copy"), help_text=_('[{"copy": id, "value": n}, ...]'))
    resolved_value = models.PositiveIntegerField(_("chosen value"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution_reason = models.TextField(_("reason"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("conflict between copies")
        verbose_name_plural = _("conflicts between copies")
        constraints = [
            models.CheckConstraint(
                condition=(Q(choice__isnull=True) & ~Q(line=""))
                | (Q(choice__isnull=False) & Q(line="")),
                name="conflict_line_xor_choice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.result_id} · {self.line or self.choice_id}"


class PendingRecount(models.Model):
    """A station whose copies or decisions changed since the tally last counted it.

    Written in the same transaction as the change (a new copy, a moderator's decision), so the
    recount job never misses one; the job takes a contest's rows, recounts those stations and
    their ancestors, and deletes the rows it handled.
    """

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="+")
    station = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="+")
    queued_at = models.DateTimeField(_("queued"), auto_now=True)

    class Meta:
        verbose_name = _("station waiting for a recount")
        verbose_name_plural = _("stations waiting for a recount")
        constraints = [
            models.UniqueConstraint(fields=["contest", "station"], name="pending_recount_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.contest_id} · {self.station_id}"


class UnitCount(models.Model):
    """Everything the tally knows of one unit (a station, or a unit above stations), the one
    source of every public figure of the count.

    * the observed count: what the settled station results under it add up to (``lines``,
      ``votes``, ``shares``, ``turnout``; ``stations_covered`` stations, ``registered_covered``
      voters), never including a station that is waiting;
    * ``official``: the official station results under it added up ({"lines", "votes",
      "stations"}); ``announced``: the official total published for the unit itself, if any;
      ``official_at_covered``: the official figures of the covered stations only, for a
      like-for-like comparison;
    * ``results``: stations by reconciliation status; ``copies``: protocol copies by state
      (received, passed/failed the checks, accepted/rejected by a moderator, waiting);
    * ``findings``: the comparison findings at the unit and under it, by kind.
    """

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
    official = models.JSONField(_("official station results added up"), default=dict, blank=True)
    announced = models.JSONField(
        _("official total announced for the unit"), default=dict, blank=True
    )
    official_at_covered = models.JSONField(
        _("official figures of the covered stations"), default=dict, blank=True
    )
    results = models.JSONField(_("stations by reconciliation status"), default=dict, blank=True)
    copies = models.JSONField(_("protocol copies by state"), default=dict, blank=True)
    findings = models.JSONField(_("findings by kind"), default=dict, blank=True)
    #: The voters' figures (`tally.services.crowd_vs_official`): {"declared": {choice id: n},
    #: "photo": {choice id: n}, "stations": n, "stations_photo": n, "compared": n,
    #: "exceeds": {"declared": n, "photo": n}} -- stations under the unit.
    crowd = models.JSONField(_("voters' figures by choice id"), default=dict, blank=True)
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
        OFFICIAL_INCONSISTENT = (
            "official_inconsistent",
            _("the official figures break the protocol's control relations"),
        )
        CROWD_EXCEEDS_OFFICIAL = (
            "crowd_exceeds_official",
            _("voters' ballot photos exceed the official votes"),
        )
        #: The weaker tier: voters who declared a choice (with or without a photo).
        CROWD_DECLARED_EXCEEDS = (
            "crowd_declared_exceeds",
            _("voters who declared a choice outnumber its official votes"),
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
    #: The message in kk/ru/en, the numbers, and the evidence the finding rests on: the copies
    #: taking part, the moderators' decisions, the official result (see `tally.services.compare`).
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
