from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from xinfang.clock.models import CalendarDay, CalendarYear
from xinfang.clock.services import calendar_day_save, calendar_year_mark_official


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Admins add local holidays or emergency adjustments; their rows survive reloads."""

    list_display = ("date", "is_workday", "name", "source")
    list_filter = ("source", "is_workday")
    date_hierarchy = "date"
    search_fields = ("name",)
    readonly_fields = ("source",)

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        calendar_day_save(day=obj)


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "source", "loaded_at", "note")
    actions = ["mark_official"]

    @admin.action(
        description="确认为官方安排并重算期限 Confirm as official and recompute deadlines"
    )
    def mark_official(self, request: HttpRequest, queryset: QuerySet[CalendarYear]) -> None:
        for year in queryset:
            calendar_year_mark_official(year=year.year)
        self.message_user(request, f"{queryset.count()} 个年度已确认 / years confirmed")
