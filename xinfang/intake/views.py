"""The citizen web form (mobile-first) and its receipt page."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from xinfang.cases.models import Channel
from xinfang.catalog.selectors import petition_type_list
from xinfang.core import crypto
from xinfang.core.errors import ApplicationError, FieldErrors, Msg
from xinfang.core.http import client_key
from xinfang.core.ratelimit import window_count, window_hit
from xinfang.intake.forms import form_data, form_field_errors, form_files_checked
from xinfang.intake.services import petition_submit
from xinfang.intake.validation import (
    CONTENT_MAX,
    TITLE_MAX,
)

_RECEIPT_SESSION_KEY = "xinfang_receipt"
_SUBMIT_WINDOW = 3600
SUBMIT_THROTTLED = Msg(
    "提交过于频繁，请一小时后再试。您填写的内容仍保留在下方。",
    "Too many petitions from this connection; try again in an hour. Your entries are kept below.",
)


def _submit_counter(request: HttpRequest) -> str:
    return "intake.submit:" + crypto.blind_index(client_key(request), context="intake.client")


def _submit_throttled(request: HttpRequest) -> bool:
    """Accepted petitions per client in the hour (a fixed window, counted in the cache); a
    failed submit does not count, so fixing one's errors is never refused."""
    count = window_count(key=_submit_counter(request), window=_SUBMIT_WINDOW)
    return count >= settings.XINFANG_SUBMIT_MAX_PER_HOUR


def _submit_count(request: HttpRequest) -> None:
    window_hit(key=_submit_counter(request), window=_SUBMIT_WINDOW)


def _render_form(
    request: HttpRequest, *, errors: dict[str, list[str]] | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "types": petition_type_list(),
        "values": request.POST if request.method == "POST" else {},
        "errors": errors or {},
        "form_token": request.POST.get("form_token") or uuid.uuid4().hex,
        "title_max": TITLE_MAX,
        "content_max": CONTENT_MAX,
    }
    return render(request, "intake/submit.html", context, status=status)


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _render_form(request)
    if _submit_throttled(request):
        return _render_form(request, errors={"form": [str(SUBMIT_THROTTLED)]}, status=429)
    data = form_data(request.POST)
    try:
        files = form_files_checked(request, data)
        receipt = petition_submit(
            channel=Channel.WEB,
            data=data,
            files=files,
            # The form's hidden token makes a double-tapped "submit" one petition, not two.
            idempotency_key=f"web:{request.POST.get('form_token', '')}"[:128] or None,
        )
    except FieldErrors as exc:
        return _render_form(request, errors=form_field_errors(exc), status=400)
    except ApplicationError as exc:
        return _render_form(request, errors={"form": [str(exc.message)]}, status=400)
    _submit_count(request)
    request.session[_RECEIPT_SESSION_KEY] = {
        "item_number": receipt.case.item_number,
        "query_code": receipt.case.query_code,
        "secret": receipt.secret or request.session.get(_RECEIPT_SESSION_KEY, {}).get("secret", ""),
        "anonymous": receipt.case.is_anonymous,
    }
    return redirect("intake:receipt")


def receipt(request: HttpRequest) -> HttpResponse:
    data = request.session.get(_RECEIPT_SESSION_KEY)
    if not data:
        return redirect("intake:submit")
    return render(request, "intake/receipt.html", {"receipt": data})


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/home.html", {"types": petition_type_list()})
