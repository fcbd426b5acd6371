from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodicJob(models.Model):
    """One entry of the periodic schedule, as data.

    Rows come from settings.XINFANG_SCHEDULE (schedule_sync); the code owns `task_path`, the admin
    owns `enabled`, `every_seconds` and `notes`. The scheduler claims a due row by moving
    `next_run_at` with a compare-and-set, so each due run is enqueued once however many
    schedulers are running.
    """

    name = models.CharField(_("名称"), max_length=100, unique=True)
    task_path = models.CharField(_("任务路径"), max_length=200)
    every_seconds = models.PositiveIntegerField(_("间隔（秒）"), validators=[MinValueValidator(1)])
    enabled = models.BooleanField(_("启用"), default=True)
    next_run_at = models.DateTimeField(_("下次运行时间"))
    last_enqueued_at = models.DateTimeField(_("上次入队时间"), null=True, blank=True)
    last_result_id = models.CharField(_("上次任务结果"), max_length=64, blank=True)
    notes = models.TextField(_("备注"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("定时任务")
        verbose_name_plural = _("定时任务")
        constraints = [
            # Zero would make the next-run arithmetic divide by zero.
            models.CheckConstraint(
                condition=models.Q(every_seconds__gte=1), name="jobs_periodicjob_every_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name
