from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from xinfang.grid.models import GridSystem, GridWorker, ProxyAuthorisation, VerificationTask
from xinfang.grid.services import grid_system_disable


@admin.register(GridSystem)
class GridSystemAdmin(admin.ModelAdmin):
    """Credentials are issued by `manage.py grid_system` (the token is shown only there)."""

    list_display = ("code", "name", "region", "token_hint", "is_active", "created_at")
    fields = ("code", "name", "region", "token_hint", "is_active")
    # Switched off by the audited action only; a disabled system is not switched back on.
    readonly_fields = ("code", "token_hint", "is_active")
    raw_id_fields = ("region",)
    actions = ("disable",)

    @admin.action(description=_("停用所选网格系统"))
    def disable(self, request: HttpRequest, queryset: QuerySet[GridSystem]) -> None:
        systems = list(queryset.filter(is_active=True))
        for system in systems:
            grid_system_disable(system=system, actor=request.user)
        self.message_user(request, _("已停用 %(n)d 个网格系统。") % {"n": len(systems)})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(GridWorker)
class GridWorkerAdmin(admin.ModelAdmin):
    list_display = ("name", "grid_code", "external_id", "system", "region", "is_active")
    list_filter = ("system", "is_active")
    search_fields = ("name", "grid_code", "external_id")
    raw_id_fields = ("region",)


@admin.register(VerificationTask)
class VerificationTaskAdmin(admin.ModelAdmin):
    list_display = ("case", "worker", "status", "due_at", "verified_at")
    list_filter = ("status", "system")
    readonly_fields = [f.name for f in VerificationTask._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProxyAuthorisation)
class ProxyAuthorisationAdmin(admin.ModelAdmin):
    list_display = ("case", "agent", "relation", "petitioner_consent", "created_at")
    list_filter = ("relation",)
    readonly_fields = [f.name for f in ProxyAuthorisation._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
