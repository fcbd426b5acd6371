"""Staff views of petitions through the admin, until the workbench arrives.

Every queryset comes from the scoped selector; identity fields are masked.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from xinfang.cases.models import Attachment, Case, CaseEvent, Petitioner
from xinfang.cases.selectors import case_list_for_user
from xinfang.cases.services import case_register
from xinfang.cases.workflow import CaseStatus
from xinfang.core import validators as v
from xinfang.core.errors import ApplicationError


class ReadOnlyInline(admin.TabularInline):
    """Inlines of a case the user may already see (the parent queryset is scoped)."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class PetitionerInline(ReadOnlyInline):
    model = Petitioner
    fields = ("seq", "is_main", "masked_name", "masked_phone", "masked_id", "masked_address")
    readonly_fields = fields

    @admin.display(description="姓名")
    def masked_name(self, obj: Petitioner) -> str:
        return v.mask_name(obj.name)

    @admin.display(description="手机")
    def masked_phone(self, obj: Petitioner) -> str:
        return v.mask_phone(obj.phone)

    @admin.display(description="证件号码")
    def masked_id(self, obj: Petitioner) -> str:
        return v.mask_id_number(obj.id_number)

    @admin.display(description="住址")
    def masked_address(self, obj: Petitioner) -> str:
        return v.mask_address(obj.address) if obj.address else ""


class EventInline(ReadOnlyInline):
    model = CaseEvent
    fields = (
        "created_at",
        "kind",
        "from_status",
        "to_status",
        "actor",
        "actor_org",
        "reason",
        "payload",
    )
    readonly_fields = fields


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ("original_name", "content_type", "size", "sha256")
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = (
        "item_number",
        "title",
        "status",
        "channel",
        "petition_type",
        "region",
        "received_at",
    )
    list_filter = ("status", "channel", "petition_type", "is_anonymous")
    search_fields = ("item_number", "query_code", "title")
    date_hierarchy = "received_at"
    inlines = [PetitionerInline, AttachmentInline, EventInline]
    actions = ["register_selected"]
    list_select_related = ("petition_type", "region")
    readonly_fields = (
        "item_number",
        "query_code",
        "channel",
        "status",
        "received_at",
        "registered_at",
        "register_org",
        "region",
        "petition_type",
        "category",
        "accused_org",
    )
    exclude = ("idempotency_key",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return case_list_for_user(user=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # petitions enter through intake channels only

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # nothing accepted is ever deleted

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # A petition is never edited: what the citizen wrote stands, and every change of state
        # goes through the workflow (with its event and audit) on the workbench.
        return False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    @admin.action(description="登记所选信访件 Register selected")
    def register_selected(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        done = 0
        for case in queryset.filter(status=CaseStatus.RECEIVED):
            try:
                case_register(case=case, actor=request.user)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{case}: {exc.message}", messages.ERROR)
        self.message_user(request, f"已登记 {done} 件 / registered {done}")


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    """Read-only: the event log is append-only."""

    list_display = ("case", "kind", "from_status", "to_status", "actor", "created_at")
    list_filter = ("kind", "to_status")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseEvent]:
        visible = case_list_for_user(user=request.user).values("pk")
        return CaseEvent.objects.filter(case__in=visible).select_related("case", "actor")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
