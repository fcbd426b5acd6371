"""The audit trail for auditors: read-only, because the chain is append-only."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from xinfang.audit.models import AuditEntry
from xinfang.audit.selectors import audit_list
from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import user_has_perm


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = (
        "seq",
        "created_at",
        "action",
        "actor",
        "actor_org",
        "object_type",
        "object_id",
        "ip",
    )
    list_filter = ("action", ("actor", admin.RelatedOnlyFieldListFilter), "created_at")
    date_hierarchy = "created_at"
    search_fields = ("object_id", "actor__username")
    list_select_related = ("actor", "actor_org")
    fields = (
        "seq",
        "created_at",
        "action",
        "actor",
        "actor_org",
        "object_type",
        "object_id",
        "detail",
        "ip",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields
    # Counting every row of a long chain on each page load costs more than it tells.
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEntry]:
        return audit_list(user=request.user)

    def _is_auditor(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff) and user_has_perm(
            user=user, perm=Perm.AUDIT_VIEW
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_auditor(request)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self._is_auditor(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
