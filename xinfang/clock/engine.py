"""Deadline arithmetic on the Chinese working calendar (DOMAIN.md §11).

Pure functions over a `WorkCalendar` (the holiday table's exceptions to Monday–Friday), so the
rules are testable without a database and the hot path never calls a holiday library.

Day limits follow 民法典 Arts. 200–204: the start day is not counted, a period ends at the end
of its last day, and — where the jurisdiction applies it — a period ending on a rest day runs
to the end of the next working day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from xinfang.catalog.models import TimeUnit

TZ = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)
# Office hours for working-hour limits (C-4); per-organisation profiles come with the workbench.
OFFICE_HOURS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(14, 0), time(17, 30)),
)


@dataclass(frozen=True)
class WorkCalendar:
    exceptions: Mapping[date, bool]  # date → is a working day, where it differs from Mon–Fri
    official_years: frozenset[int]

    def is_workday(self, day: date) -> bool:
        return self.exceptions.get(day, day.weekday() < 5)

    def next_workday(self, day: date) -> date:
        """The first working day strictly after `day`."""
        day += timedelta(days=1)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day


@dataclass(frozen=True)
class Deadline:
    nominal: datetime  # the period's end as counted
    due: datetime  # after rolling past rest days (equals nominal where no roll applies)
    provisional: bool  # reaches a year whose official schedule is not loaded yet


def end_of_day(day: date) -> datetime:
    """A period ending on `day` ends at the end of it, Shanghai time (民法典 Art. 203)."""
    return datetime.combine(day, END_OF_DAY, tzinfo=TZ)


def _provisional(cal: WorkCalendar, first: date, last: date) -> bool:
    return any(y not in cal.official_years for y in range(first.year, last.year + 1))


def add_working_days(cal: WorkCalendar, start: date, n: int) -> date:
    day = start
    for _ in range(n):
        day = cal.next_workday(day)
    return day


def _add_working_hours(cal: WorkCalendar, start: datetime, hours: int) -> datetime:
    remaining = timedelta(hours=hours)
    cursor = start.astimezone(TZ)
    while True:
        if cal.is_workday(cursor.date()):
            for begin, end in OFFICE_HOURS:
                lo = max(cursor, datetime.combine(cursor.date(), begin, tzinfo=TZ))
                hi = datetime.combine(cursor.date(), end, tzinfo=TZ)
                if lo >= hi:
                    continue
                if hi - lo >= remaining:
                    return lo + remaining
                remaining -= hi - lo
        cursor = datetime.combine(cursor.date() + timedelta(days=1), time(0), tzinfo=TZ)


def compute_deadline(
    *, cal: WorkCalendar, start: datetime, amount: int, unit: str, roll_forward: bool = True
) -> Deadline:
    """When a limit of `amount` `unit`s that starts at `start` runs out."""
    local = start.astimezone(TZ)
    if unit == TimeUnit.CALENDAR_DAY:
        nominal_day = local.date() + timedelta(days=amount)
        due_day = nominal_day
        if roll_forward and not cal.is_workday(due_day):
            due_day = cal.next_workday(due_day)
        return Deadline(
            end_of_day(nominal_day), end_of_day(due_day), _provisional(cal, local.date(), due_day)
        )
    if unit == TimeUnit.WORKING_DAY:
        due_day = add_working_days(cal, local.date(), amount)
        return Deadline(
            end_of_day(due_day), end_of_day(due_day), _provisional(cal, local.date(), due_day)
        )
    if unit == TimeUnit.NATURAL_HOUR:
        due = local + timedelta(hours=amount)
        return Deadline(due, due, _provisional(cal, local.date(), due.date()))
    if unit == TimeUnit.WORKING_HOUR:
        due = _add_working_hours(cal, local, amount)
        return Deadline(due, due, _provisional(cal, local.date(), due.date()))
    raise ValueError(f"unknown time unit {unit!r}")
