"""The working calendar as the deadline engine sees it, cached per process."""

from __future__ import annotations

from xinfang.clock.engine import WorkCalendar
from xinfang.clock.models import CalendarDay, CalendarSource, CalendarYear
from xinfang.core import refcache


def _load() -> WorkCalendar:
    exceptions = dict(CalendarDay.objects.values_list("date", "is_workday"))
    official = frozenset(
        CalendarYear.objects.exclude(source=CalendarSource.RULE).values_list("year", flat=True)
    )
    return WorkCalendar(exceptions=exceptions, official_years=official)


def work_calendar() -> WorkCalendar:
    return refcache.cached("work_calendar", None, _load)
