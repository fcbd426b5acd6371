"""Open311 API keys in the admin: issue (the key is shown once), revoke, see last use. Both
go through the services, so both are audited; a revoked key is not switched back on."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from xinfang.open311.models import ApiKey
from xinfang.open311.services import api_key_issue, api_key_revoke


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = (
        "owner",
        "prefix",
        "org",
        "region",
        "is_active",
        "returns_token",
        "last_used_at",
    )
    list_filter = ("is_active", "returns_token")
    search_fields = ("owner", "prefix", "contact")
    autocomplete_fields = ("org", "region")
    fields = (
        "owner",
        "contact",
        "org",
        "region",
        "is_active",
        "returns_token",
        "prefix",
        "created_at",
        "last_used_at",
    )
    readonly_fields = ("prefix", "created_at", "last_used_at")
    actions = ("revoke",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if obj is None else (*fields, "is_active")  # revoked by the action only

    @admin.action(description=_("停用所选接口密钥"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        keys = list(queryset.filter(is_active=True))
        for key in keys:
            api_key_revoke(api_key=key, actor=request.user)
        self.message_user(request, _("已停用 %(n)d 个接口密钥。") % {"n": len(keys)})

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued = api_key_issue(
            owner=obj.owner,
            contact=obj.contact,
            org=obj.org,
            region=obj.region,
            returns_token=obj.returns_token,
            actor=request.user,
        )
        obj.pk = issued.api_key.pk  # the admin goes on to the stored key
        messages.warning(
            request,
            _("新接口密钥（只显示这一次，请立即安全地交给使用方）：%(key)s") % {"key": issued.raw},
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a key is deactivated, never deleted: its requests keep pointing at it
