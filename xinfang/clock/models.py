from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarSource(models.TextChoices):
    OFFICIAL = "official", _("国务院办公厅公布 Official schedule")
    RULE = "rule", _("按规则推算 Rule-based (provisional)")
    ADMIN = "admin", _("管理员调整 Administrator")


class CalendarYear(models.Model):
    """Whether a year's schedule is the published one or a rule-based estimate.

    Deadlines that reach into a provisional year are marked provisional and recomputed when the
    official schedule is loaded (DESIGN invariant 3).
    """

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=16, choices=CalendarSource.choices)
    loaded_at = models.DateTimeField(_("载入时间"), auto_now=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")

    def __str__(self) -> str:
        return f"{self.year} ({self.get_source_display()})"

    @property
    def is_provisional(self) -> bool:
        return self.source == CalendarSource.RULE


class CalendarDay(models.Model):
    """A day that differs from the Monday-to-Friday rule: a holiday on a weekday, a named
    holiday on a weekend, or a weekend worked in lieu (调休上班). Other days follow the rule."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("工作日"))
    name = models.CharField(_("名称"), max_length=64, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=CalendarSource.choices)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日/调休")
        verbose_name_plural = _("节假日/调休")

    def __str__(self) -> str:
        kind = "上班" if self.is_workday else "休息"
        return f"{self.date} {kind} {self.name}"
