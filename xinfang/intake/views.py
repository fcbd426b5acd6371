"""The citizen web form (mobile-first) and its receipt page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from xinfang.cases.models import Channel
from xinfang.catalog.selectors import petition_type_list
from xinfang.core.errors import ApplicationError, FieldErrors
from xinfang.intake.forms import (
    RECEIPT_SESSION_KEY,
    SUBMIT_THROTTLED,
    form_context,
    form_data,
    form_field_errors,
    form_files_checked,
    receipt_remember,
    submit_counted,
    submit_throttled,
)
from xinfang.intake.services import petition_submit
from xinfang.intake.text import delivery_key


def _render_form(
    request: HttpRequest, *, errors: dict[str, list[str]] | None = None, status: int = 200
) -> HttpResponse:
    context = form_context(request, errors=errors or {})
    return render(request, "intake/submit.html", context, status=status)


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _render_form(request)
    if submit_throttled(request):
        return _render_form(request, errors={"form": [str(SUBMIT_THROTTLED)]}, status=429)
    data = form_data(request.POST)
    try:
        files = form_files_checked(request, data)
        receipt = petition_submit(
            channel=Channel.WEB,
            data=data,
            files=files,
            # The form's hidden token makes a double-tapped "submit" one petition, not two.
            idempotency_key=delivery_key("web", token)
            if (token := request.POST.get("form_token"))
            else None,
        )
    except FieldErrors as exc:
        return _render_form(request, errors=form_field_errors(exc), status=400)
    except ApplicationError as exc:
        return _render_form(request, errors={"form": [str(exc.message)]}, status=400)
    submit_counted(request)
    receipt_remember(request, receipt)
    return redirect("intake:receipt")


def receipt(request: HttpRequest) -> HttpResponse:
    data = request.session.get(RECEIPT_SESSION_KEY)
    if not data:
        return redirect("intake:submit")
    return render(request, "intake/receipt.html", {"receipt": data})


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/home.html", {"types": petition_type_list()})
