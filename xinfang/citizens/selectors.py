"""Citizens' portal reads: a signed-in citizen's own petitions and who may fetch a file."""

from __future__ import annotations

from django.db.models import QuerySet

from xinfang.cases.models import Attachment, Case
from xinfang.cases.selectors import case_get_for_user, query_code_normalize


def my_case_list(*, phone_index: str) -> QuerySet[Case]:
    """Named petitions whose main petitioner has this phone, newest first.

    Anonymous petitions have no petitioner row, so they never show up: their only key is the
    receipt's secret.
    """
    if not phone_index:
        return Case.objects.none()
    return (
        Case.objects.filter(
            is_anonymous=False,
            petitioners__is_main=True,
            petitioners__phone_index=phone_index,
        )
        .select_related("petition_type", "region")
        .order_by("-received_at", "-pk")
        .distinct()
    )


def my_case_get(*, phone_index: str, query_code: str) -> Case | None:
    code = query_code_normalize(query_code)
    return my_case_list(phone_index=phone_index).filter(query_code=code).first()


def attachment_list_for_case(*, case: Case) -> QuerySet[Attachment]:
    return Attachment.objects.filter(case=case).order_by("created_at", "pk")


def attachment_get_for_staff(*, user: object, attachment_id: int) -> Attachment | None:
    """A file of a case in the staff user's scope (workbench rules), else None."""
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None or case_get_for_user(user=user, case_id=attachment.case_id) is None:
        return None
    return attachment
