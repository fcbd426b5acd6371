"""The working calendar as the deadline engine sees it, cached per process."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from xinfang.catalog.models import DeadlineProfile
from xinfang.clock.engine import Deadline, WorkCalendar, compute_deadline
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


def deadline_profile(*, code: str) -> DeadlineProfile | None:
    return refcache.cached(
        "deadline_profile", code, lambda: DeadlineProfile.objects.filter(code=code).first()
    )


def deadline_compute(*, profile: DeadlineProfile, start: datetime) -> Deadline:
    """When `profile`'s limit, started at `start`, runs out on this installation's calendar."""
    return deadline_add(start=start, amount=profile.amount, unit=profile.unit)


def deadline_add(*, start: datetime, amount: int, unit: str) -> Deadline:
    """`amount` `unit`s after `start` (e.g. an extension counted from the nominal end)."""
    return compute_deadline(
        cal=work_calendar(),
        start=start,
        amount=amount,
        unit=unit,
        roll_forward=settings.XINFANG_DEADLINE_ROLL_FORWARD,
    )
