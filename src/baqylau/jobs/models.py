"""What the schedule has started, so that each periodic run happens once, whichever of several
workers (on several machines) sees it first: the run's key is inserted, and only the worker whose
insert succeeds queues the job."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduleRun(models.Model):
    key = models.CharField(_("run"), max_length=200, unique=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return self.key
