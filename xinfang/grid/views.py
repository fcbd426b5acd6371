"""Pages of proxy agents (网上信访代理) and the staff view of verification tasks."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from xinfang.cases.selectors import case_get_for_user
from xinfang.core.errors import ApplicationError, FieldErrors
from xinfang.grid import messages as m
from xinfang.grid.models import ProxyRelation
from xinfang.grid.selectors import (
    photo_get_for_staff,
    proxy_agent_org,
    proxy_get_for_agent,
    proxy_list_for_agent,
    task_list_for_case,
)
from xinfang.grid.services import NotProxyAgent, ProxyAuthority, proxy_submit
from xinfang.intake.forms import form_context, form_data, form_field_errors
from xinfang.intake.text import delivery_key

# The citizen form's own mapping of POSTed fields and errors: the proxy page is that form
# plus the authorisation, so both channels read petitions identically.
from xinfang.intake.validation import RawFile
from xinfang.signin.decorators import staff_gate, staff_login_required
from xinfang.tracking.services import track_view


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "grid/forbidden.html", {"message": m.NOT_PROXY_AGENT}, status=403)


def _render_form(
    request: HttpRequest, *, errors: dict[str, list[str]] | None = None, status: int = 200
) -> HttpResponse:
    context = form_context(request, errors=errors or {}, relations=ProxyRelation.choices)
    return render(request, "grid/proxy_submit.html", context, status=status)


def _authority(request: HttpRequest) -> ProxyAuthority:
    post = request.POST
    upload = request.FILES.get("authorisation_document")
    return ProxyAuthority(
        relation=post.get("relation", ""),
        petitioner_consent=post.get("petitioner_consent") == "on",
        document=RawFile(upload.name or "授权委托书", upload.read()) if upload else None,
        no_document_reason=post.get("no_document_reason", ""),
        agent_phone=post.get("agent_phone", ""),
        agent_email=post.get("agent_email", ""),
    )


@require_http_methods(["GET", "POST"])
@staff_login_required
def proxy_new(request: HttpRequest) -> HttpResponse:
    if proxy_agent_org(user=request.user) is None:
        return _forbidden(request)
    if request.method == "GET":
        return _render_form(request)
    files = [RawFile(f.name or "file", f.read()) for f in request.FILES.getlist("attachments")]
    token = request.POST.get("form_token", "")
    try:
        receipt = proxy_submit(
            agent=request.user,  # type: ignore[arg-type]
            data=form_data(request.POST),
            authority=_authority(request),
            files=files,
            # One petition per filled-in form, however often "submit" is pressed.
            idempotency_key=delivery_key("proxy", str(request.user.pk), token) if token else None,
        )
    except NotProxyAgent:
        return _forbidden(request)
    except FieldErrors as exc:
        return _render_form(request, errors=form_field_errors(exc), status=400)
    except ApplicationError as exc:
        return _render_form(request, errors={"form": [str(exc.message)]}, status=400)
    return redirect("proxy:detail", pk=receipt.case.pk)


@require_GET
@staff_login_required
def proxy_list(request: HttpRequest) -> HttpResponse:
    if proxy_agent_org(user=request.user) is None:
        return _forbidden(request)
    items = proxy_list_for_agent(user=request.user)[:200]
    return render(request, "grid/proxy_list.html", {"items": items})


@require_GET
@staff_login_required
def proxy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress of a petition the agent submitted: what the petitioner would see, while
    the agent still holds the proxy role."""
    if proxy_agent_org(user=request.user) is None:
        return _forbidden(request)
    item = proxy_get_for_agent(user=request.user, case_id=pk)
    if item is None:
        raise Http404
    context: dict[str, Any] = {"item": item, "view": track_view(case=item.case)}
    return render(request, "grid/proxy_detail.html", context)


@require_GET
@staff_login_required
def case_tasks(request: HttpRequest, pk: int) -> HttpResponse:
    """A case's verification tasks with results and photos, for staff who may see the case."""
    case = case_get_for_user(user=request.user, case_id=pk)
    if case is None:
        raise Http404
    context = {"case": case, "tasks": task_list_for_case(case=case)}
    return render(request, "grid/case_tasks.html", context)


@require_GET
def task_photo(request: HttpRequest, pk: int) -> HttpResponseBase:
    if (denied := staff_gate(request)) is not None:
        return denied
    photo = photo_get_for_staff(user=request.user, photo_id=pk)
    if photo is None:
        raise Http404
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'"
    return response
