from django.contrib import admin

from xinfang.clock.models import CalendarDay, CalendarYear


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Admins add local holidays or emergency adjustments; their rows survive reloads."""

    list_display = ("date", "is_workday", "name", "source")
    list_filter = ("source", "is_workday")
    date_hierarchy = "date"
    search_fields = ("name",)


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "source", "loaded_at", "note")
