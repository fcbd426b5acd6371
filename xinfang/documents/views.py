"""The printable page of an issued document (staff only, through the case's scope)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

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
    response = render(request, "documents/print.html", {"document": document})
    response["Content-Security-Policy"] = PRINT_CSP
    return response
