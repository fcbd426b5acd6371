from django.contrib import admin

from xinfang.cases.selectors import case_list_for_user
from xinfang.mailbox.models import Mailbox, MailboxMessage


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ("address", "name", "owner_org", "region", "petition_type", "is_active")
    list_filter = ("is_active", "petition_type")
    search_fields = ("address", "name", "owner_org__name")
    raw_id_fields = ("owner_org", "region")


@admin.register(MailboxMessage)
class MailboxMessageAdmin(admin.ModelAdmin):
    """Read-only: rows are written by the intake transaction and follow their case, and a
    user sees only those of cases in their scope."""

    list_display = ("message_key", "mailbox", "case", "owner_org", "via", "created_at")
    list_filter = ("mailbox", "via")
    search_fields = ("message_key", "case__item_number")
    list_select_related = ("mailbox", "case", "owner_org")
    readonly_fields = ("mailbox", "case", "owner_org", "message_key", "skipped", "via")

    def get_queryset(self, request):
        visible = case_list_for_user(user=request.user).values("pk")
        return super().get_queryset(request).filter(case__in=visible)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
