"""Read-only admin for the board: moderation happens in the staff queue (/staff/board/), where
every step is a service call with its case event and audit entry."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from xinfang.board.models import Publication, PublicationVersion


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VersionInline(admin.TabularInline):
    model = PublicationVersion
    extra = 0
    can_delete = False
    fields = (
        "number",
        "title",
        "redactions",
        "created_at",
        "created_by",
        "approved_at",
        "approved_by",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Publication)
class PublicationAdmin(ReadOnly):
    list_display = ("id", "case", "status", "region_code", "version", "published_at")
    list_filter = ("status",)
    search_fields = ("case__item_number",)
    raw_id_fields = ("case", "category", "unit")
    inlines = (VersionInline,)
