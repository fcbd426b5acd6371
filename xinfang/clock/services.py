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

    Rows an administrator entered are kept. Disagreements between the two sources are
    reported, not silently resolved.
    """
    rest, work = _rule_based(year)
    official = _official(year)
    source = CalendarSource.OFFICIAL if official is not None else CalendarSource.RULE
    report = YearReport(year, source)
    rows: dict[date, tuple[bool, str]] = {}
    for day in _days(year):
        default = day.weekday() < 5
        is_work = (
            official[day]
            if official is not None
            else (day in work or (default and day not in rest))
        )
        if official is not None and (day in rest) == official[day] and day.weekday() < 5:
            report.disagreements.append(
                f"{day}: official {'work' if official[day] else 'rest'}, "
                f"rule-based {'rest' if day in rest else 'work'}"
            )
        if is_work != default or (not is_work and day in rest):
            rows[day] = (is_work, rest.get(day, "") if not is_work else IN_LIEU_NAME)
    admin_days = set(
        CalendarDay.objects.filter(date__year=year, source=CalendarSource.ADMIN).values_list(
            "date", flat=True
        )
    )
    CalendarDay.objects.filter(date__year=year).exclude(source=CalendarSource.ADMIN).delete()
    CalendarDay.objects.bulk_create(
        CalendarDay(date=d, is_workday=w, name=n or ("休息日" if not w else ""), source=source)
        for d, (w, n) in sorted(rows.items())
        if d not in admin_days
    )
    CalendarYear.objects.update_or_create(year=year, defaults={"source": source})
    report.rest_days = sum(1 for w, _ in rows.values() if not w)
    report.work_weekends = sum(1 for w, _ in rows.values() if w)
    _changed({year})
    return report


@transaction.atomic
def calendar_publish_year(*, year: int, days: Iterable[tuple[date, bool, str]]) -> int:
    """Load a year's official schedule (from the State Council notice), replacing the
    rule-based estimate; deadlines that depended on the estimate are recomputed after commit.

    `days` are the exceptions to Monday–Friday: (date, is working day, name).
    """
    rows = [
        CalendarDay(
            date=d,
            is_workday=w,
            name=n or (IN_LIEU_NAME if w else "休息日"),
            source=CalendarSource.OFFICIAL,
        )
        for d, w, n in days
    ]
    if any(r.date.year != year for r in rows):
        raise ValueError(f"every date must be in {year}")
    CalendarDay.objects.filter(date__year=year).exclude(source=CalendarSource.ADMIN).delete()
    CalendarDay.objects.bulk_create(rows)
    CalendarYear.objects.update_or_create(year=year, defaults={"source": CalendarSource.OFFICIAL})
    _changed({year})
    return len(rows)


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
