"""Loading the holiday table: the official schedule where published, the rule-based one after."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar
import holidays
from django.db import transaction

from xinfang.clock.models import CalendarDay, CalendarSource, CalendarYear
from xinfang.clock.signals import calendar_changed
from xinfang.core import refcache

# "Day off (substituted from 01/04/2026)": the date in brackets is a weekend worked in lieu.
_SUBSTITUTED = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")
IN_LIEU_NAME = "调休上班"


@dataclass
class YearReport:
    year: int
    source: CalendarSource
    rest_days: int = 0
    work_weekends: int = 0
    disagreements: list[str] = field(default_factory=list)


def _days(year: int) -> Iterable[date]:
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


def _rule_based(year: int) -> tuple[dict[date, str], set[date]]:
    """Rest days (with Chinese names) and in-lieu working weekends from the `holidays` package."""
    names = holidays.China(years=year, language="zh_CN")
    labels = holidays.China(years=year, language="en_US")
    rest = {d: names[d] for d in names}
    work: set[date] = set()
    for label in labels.values():
        for month, day, yr in _SUBSTITUTED.findall(label):
            work.add(date(int(yr), int(month), int(day)))
    return rest, work


def _official(year: int) -> dict[date, bool] | None:
    """chinese-calendar's published schedule for the year, or None where it has none."""
    try:
        return {d: chinese_calendar.is_workday(d) for d in _days(year)}
    except NotImplementedError:
        return None


@transaction.atomic
def calendar_load_year(*, year: int) -> YearReport:
    """(Re)write one year's exceptions; official data wins, the rule-based data fills gaps.

    Disagreements between the two sources are reported, not silently resolved.
    """
    rest, work = _rule_based(year)
    official = _official(year)
    source = CalendarSource.OFFICIAL if official is not None else CalendarSource.RULE
    report = YearReport(year, source)
    days: list[tuple[date, bool, str]] = []
    for day in _days(year):
        weekday = day.weekday() < 5
        is_work = (
            official[day]
            if official is not None
            else (day in work or (weekday and day not in rest))
        )
        if official is not None and weekday and (day in rest) == official[day]:
            report.disagreements.append(
                f"{day}: official {'work' if official[day] else 'rest'}, "
                f"rule-based {'rest' if day in rest else 'work'}"
            )
        if is_work != weekday or (not is_work and day in rest):
            days.append((day, is_work, "" if is_work else rest.get(day, "")))
    report.rest_days = sum(1 for _, w, _ in days if not w)
    report.work_weekends = len(days) - report.rest_days
    _replace_year(year, source, days)
    return report


def calendar_publish_year(*, year: int, days: Iterable[tuple[date, bool, str]]) -> int:
    """Load a year's official schedule (from the State Council notice), replacing the
    rule-based estimate; deadlines that depended on the estimate are recomputed after commit.

    `days` are the exceptions to Monday–Friday: (date, is working day, name).
    """
    rows = list(days)
    if any(d.year != year for d, _, _ in rows):
        raise ValueError(f"every date must be in {year}")
    _replace_year(year, CalendarSource.OFFICIAL, rows)
    return len(rows)


@transaction.atomic
def _replace_year(year: int, source: CalendarSource, days: list[tuple[date, bool, str]]) -> None:
    """Write a year's loaded exceptions, keeping administrators' rows.

    Nothing is written, and nobody is told, when the year is already exactly so: `make setup`
    reloads the calendar on every run and must not make every provisional deadline recompute.
    """
    loaded = CalendarDay.objects.filter(date__year=year).exclude(source=CalendarSource.ADMIN)
    admin_days = set(
        CalendarDay.objects.filter(date__year=year, source=CalendarSource.ADMIN).values_list(
            "date", flat=True
        )
    )
    wanted = {(d, w, source.value) for d, w, _ in days if d not in admin_days}
    if set(loaded.values_list("date", "is_workday", "source")) == wanted and (
        CalendarYear.objects.filter(year=year, source=source).exists()
    ):
        return
    loaded.delete()
    CalendarDay.objects.bulk_create(
        CalendarDay(
            date=d, is_workday=w, name=n or (IN_LIEU_NAME if w else "休息日"), source=source
        )
        for d, w, n in sorted(days)
        if d not in admin_days
    )
    CalendarYear.objects.update_or_create(year=year, defaults={"source": source})
    _changed({year})


@transaction.atomic
def calendar_day_save(*, day: CalendarDay) -> CalendarDay:
    """An administrator's local holiday or emergency adjustment; it survives every reload."""
    day.source = CalendarSource.ADMIN
    day.save()
    _changed({day.date.year})
    return day


@transaction.atomic
def calendar_year_mark_official(*, year: int) -> None:
    """An administrator entered the year's official days by hand and confirms them."""
    CalendarDay.objects.filter(date__year=year, source=CalendarSource.RULE).update(
        source=CalendarSource.OFFICIAL
    )
    CalendarYear.objects.update_or_create(year=year, defaults={"source": CalendarSource.OFFICIAL})
    _changed({year})


def _changed(years: set[int]) -> None:
    refcache.clear()
    transaction.on_commit(
        lambda: calendar_changed.send(sender=CalendarYear, years=frozenset(years))
    )
