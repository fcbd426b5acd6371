"""The citizen web form (mobile-first) and its receipt page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from xinfang.cases.models import Channel
from xinfang.catalog.selectors import petition_type_list
from xinfang.intake.forms import RECEIPT_SESSION_KEY, citizen_form_post, form_context
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
    # The form's hidden token makes a double-tapped "submit" one petition, not two.
    token = request.POST.get("form_token")
    outcome = citizen_form_post(
        request,
        submit=lambda data, files: petition_submit(
            channel=Channel.WEB,
            data=data,
            files=files,
            idempotency_key=delivery_key("web", token) if token else None,
        ),
        rerender=lambda errors, status: _render_form(request, errors=errors, status=status),
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    return redirect("intake:receipt")


def receipt(request: HttpRequest) -> HttpResponse:
    data = request.session.get(RECEIPT_SESSION_KEY)
    if not data:
        return redirect("intake:submit")
    return render(request, "intake/receipt.html", {"receipt": data})


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/home.html", {"types": petition_type_list()})
