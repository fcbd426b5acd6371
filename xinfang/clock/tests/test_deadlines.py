"""DOMAIN.md §11.2 worked examples and the rules of the deadline engine."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from xinfang.clock.engine import TZ, WorkCalendar, compute_deadline
from xinfang.clock.models import CalendarDay, CalendarSource, CalendarYear
from xinfang.clock.selectors import work_calendar
from xinfang.clock.services import calendar_day_save, calendar_load_year

pytestmark = pytest.mark.django_db


@pytest.fixture
def cal() -> WorkCalendar:
    for year in (2025, 2026, 2027):
        calendar_load_year(year=year)
    return work_calendar()


def at(y: int, m: int, d: int, hh: int = 10) -> datetime:
    return datetime(y, m, d, hh, tzinfo=TZ)


def test_five_working_days_across_national_day(cal: WorkCalendar) -> None:
    due = compute_deadline(cal=cal, start=at(2025, 9, 26), amount=5, unit="working_day")
    assert due.due.date() == date(2025, 10, 10)  # Sun 09-28 is worked in lieu; 10-01…10-08 off
    assert not due.provisional


def test_five_working_days_across_spring_festival_2026(cal: WorkCalendar) -> None:
    due = compute_deadline(cal=cal, start=at(2026, 2, 10), amount=5, unit="working_day")
    assert due.due.date() == date(2026, 2, 24)


def test_sixty_days_roll_past_the_national_day_break(cal: WorkCalendar) -> None:
    due = compute_deadline(cal=cal, start=at(2025, 8, 3), amount=60, unit="calendar_day")
    assert due.nominal.date() == date(2025, 10, 2)
    assert due.due.date() == date(2025, 10, 9)
    assert due.due.time().hour == 23  # a day limit runs to the end of its last day


def test_roll_forward_is_a_jurisdiction_setting(cal: WorkCalendar) -> None:
    due = compute_deadline(
        cal=cal, start=at(2025, 8, 3), amount=60, unit="calendar_day", roll_forward=False
    )
    assert due.due.date() == date(2025, 10, 2)


def test_2025_has_248_working_days(cal: WorkCalendar) -> None:
    days = [date.fromordinal(date(2025, 1, 1).toordinal() + i) for i in range(365)]
    assert sum(cal.is_workday(d) for d in days) == 248


def test_official_adjusted_weekends(cal: WorkCalendar) -> None:
    for day in (
        "2025-01-26",
        "2025-02-08",
        "2025-04-27",
        "2025-09-28",
        "2025-10-11",
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ):
        assert cal.is_workday(date.fromisoformat(day)), day
    assert not cal.is_workday(date(2025, 1, 28))  # 除夕 is a statutory holiday from 2025
    assert not cal.is_workday(date(2025, 5, 2))


def test_deadline_reaching_an_unpublished_year_is_provisional(cal: WorkCalendar) -> None:
    assert CalendarYear.objects.get(year=2027).source == CalendarSource.RULE
    due = compute_deadline(cal=cal, start=at(2026, 11, 27), amount=60, unit="calendar_day")
    assert due.provisional
    assert due.nominal.date() == date(2027, 1, 26)
    inside = compute_deadline(cal=cal, start=at(2026, 11, 27), amount=15, unit="calendar_day")
    assert not inside.provisional


def test_rule_based_year_still_knows_the_lunar_holidays(cal: WorkCalendar) -> None:
    assert not cal.is_workday(date(2027, 2, 8))  # Spring Festival 2027, computed by rule
    assert not cal.is_workday(date(2027, 10, 1))


def test_admin_rows_survive_a_reload(cal: WorkCalendar) -> None:
    calendar_day_save(day=CalendarDay(date=date(2026, 12, 1), is_workday=False, name="地方节日"))
    calendar_load_year(year=2026)
    assert not work_calendar().is_workday(date(2026, 12, 1))


def test_hours(cal: WorkCalendar) -> None:
    natural = compute_deadline(cal=cal, start=at(2025, 9, 30, 16), amount=24, unit="natural_hour")
    assert natural.due == at(2025, 10, 1, 16)
    # Tue 16:00 + 4 working hours: 1.5 h that day, then the holiday, then Thu 10-09 08:30 + 2.5 h.
    working = compute_deadline(cal=cal, start=at(2025, 9, 30, 16), amount=4, unit="working_hour")
    assert working.due == datetime(2025, 10, 9, 11, 0, tzinfo=TZ)


def test_unknown_unit_is_an_error(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="unknown time unit"):
        compute_deadline(cal=cal, start=at(2025, 1, 2), amount=1, unit="fortnight")


@pytest.mark.parametrize("spec", ["20x5", "1999", "2030-2020"])
def test_calendar_load_rejects_bad_years_with_exit_code_2(spec: str) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as exc:
        call_command("calendar_load", years=spec)
    assert exc.value.returncode == 2


def test_calendar_load_command_reports_each_year() -> None:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("calendar_load", years="2025-2026", stdout=out, stderr=io.StringIO())
    assert "2025: official" in out.getvalue()
    assert CalendarYear.objects.filter(year__in=[2025, 2026], source="official").count() == 2


def test_reloading_an_unchanged_year_tells_nobody(
    cal: WorkCalendar, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        calendar_load_year(year=2026)
    assert callbacks == []  # make setup reloads every run: no recompute without a change


def test_publishing_keeps_an_administrators_day(cal: WorkCalendar) -> None:
    from xinfang.clock.services import calendar_publish_year

    calendar_day_save(day=CalendarDay(date=date(2027, 1, 4), is_workday=False, name="地方节日"))
    calendar_publish_year(
        year=2027, days=[(date(2027, 1, 1), False, "元旦"), (date(2027, 1, 4), True, "调休上班")]
    )
    assert CalendarDay.objects.get(date=date(2027, 1, 4)).source == CalendarSource.ADMIN
    assert not work_calendar().is_workday(date(2027, 1, 4))
    assert CalendarYear.objects.get(year=2027).source == CalendarSource.OFFICIAL
