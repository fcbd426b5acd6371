"""Reads of the outbox (the staff status page) and of citizens' preferences."""

from __future__ import annotations

from django.db.models import QuerySet

from xinfang.cases.selectors import case_list_for_user
from xinfang.notify.models import ChannelPreference, ContactPoint, Notification
from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import staff_scope

# Who may look after the outbox as a whole (delivery is operations, not casework), and who may
# send a failed notice again: registrars, who answer for telling the petitioner.
OUTBOX_ALL_PERMS = frozenset({Perm.STAFF_MANAGE})
RETRY_PERMS = frozenset({Perm.STAFF_MANAGE, Perm.CASE_REGISTER})


def notification_list_for_user(
    *, user: object, status: str = "", medium: str = "", item_number: str = ""
) -> QuerySet[Notification]:
    """Outbox rows the user may see, newest first: every row for administrators, else the
    rows of the cases in their scope (DESIGN invariant 4)."""
    rows = Notification.objects.select_related("case", "user").order_by("-created_at", "-pk")
    scope = staff_scope(user=user)
    if not (scope.see_all or scope.perms & OUTBOX_ALL_PERMS):
        rows = rows.filter(case__in=case_list_for_user(user=user).values("pk"))
    if status:
        rows = rows.filter(status=status)
    if medium:
        rows = rows.filter(medium=medium)
    if item_number:
        rows = rows.filter(case__item_number=item_number.strip())
    return rows


def notification_get_for_user(*, user: object, pk: int) -> Notification | None:
    return notification_list_for_user(user=user).filter(pk=pk).first()


def can_retry(*, user: object) -> bool:
    scope = staff_scope(user=user)
    return scope.see_all or bool(scope.perms & RETRY_PERMS)


def preference_get(*, phone_index: str) -> ChannelPreference | None:
    if not phone_index:
        return None
    return ChannelPreference.objects.filter(phone_index=phone_index).first()


def known_media(*, phone_index: str) -> set[str]:
    """The media the citizen's named petitions have addresses for (SMS: the phone itself)."""
    if not phone_index:
        return set()
    points = ContactPoint.objects.filter(
        case__is_anonymous=False,
        case__petitioners__is_main=True,
        case__petitioners__phone_index=phone_index,
    )
    return {"sms", *points.values_list("medium", flat=True).distinct()}
