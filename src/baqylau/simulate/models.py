"""The record of a simulated election: its config and where its ground truth is stored."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import Election

if TYPE_CHECKING:
    from baqylau.simulate.engine import SimulatedElection


class Simulation(models.Model):
    """A synthetic election loaded by the simulator; the ground truth lives in a .npz file."""

    election = models.OneToOneField(
        Election, on_delete=models.CASCADE, related_name="simulation", verbose_name=_("election")
    )
    seed = models.BigIntegerField(_("seed"))
    config = models.JSONField(_("configuration"), default=dict)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    ground_truth = models.CharField(
        _("ground truth file"),
        max_length=500,
        help_text=_("Path of the .npz file, relative to the data directory."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("simulation")
        verbose_name_plural = _("simulations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.election.code} (seed {self.seed})"

    @property
    def ground_truth_path(self) -> Path:
        return Path(settings.DATA_DIR) / self.ground_truth

    def load_ground_truth(self) -> SimulatedElection:
        from baqylau.simulate.engine import SimulatedElection

        return SimulatedElection.load(self.ground_truth_path)
