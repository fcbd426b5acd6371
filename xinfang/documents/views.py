"""The printable page of an issued document (staff only, through the case's scope)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from xinfang.audit.models import AuditAction
from xinfang.audit.services import audit_record
from xinfang.core.http import client_ip
from xinfang.documents.selectors import document_get_for_user
from xinfang.signin.decorators import staff_login_required

# The document body is rendered from admin-edited source and inserted unescaped; the page
# therefore runs nothing but our own static script, whatever that source contains.
PRINT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


@never_cache  # the page carries the petitioner's name
@require_safe
@staff_login_required
def document_print(request: HttpRequest, document_id: int) -> HttpResponse:
    document = document_get_for_user(user=request.user, document_id=document_id)
    if document is None:
        raise Http404
    if document.is_public and not document.case.is_anonymous:
        # A letter to the petitioner names them in full: opening it is a reveal (DOMAIN P-1(d)).
        audit_record(
            action=AuditAction.IDENTITY_REVEAL,
            actor=request.user,  # type: ignore[arg-type]
            object_type="document",
            object_id=document.pk,
            detail={"case": document.case_id, "number": document.number},
            ip=client_ip(request),
        )
    response = render(request, "documents/print.html", {"document": document})
    response["Content-Security-Policy"] = PRINT_CSP
    return response
