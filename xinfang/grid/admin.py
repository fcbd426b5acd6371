from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from xinfang.grid.models import GridSystem, GridWorker, ProxyAuthorisation, VerificationTask


@admin.register(GridSystem)
class GridSystemAdmin(admin.ModelAdmin):
    """Credentials are issued by `manage.py grid_system` (the token is shown only there)."""

    list_display = ("code", "name", "region", "token_hint", "is_active", "created_at")
    fields = ("code", "name", "region", "token_hint", "is_active")
    readonly_fields = ("code", "token_hint")
    raw_id_fields = ("region",)

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
