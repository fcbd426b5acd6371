"""The moderation queue in the staff workbench: bureau supervisors read each redacted proposal,
edit it if needed, and approve, reject or take it down. Thin: reads through
`board.moderation`, writes through `board.services`; out of scope is 404."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from xinfang.board import services
from xinfang.board.forms import ApproveForm, ReasonForm
from xinfang.board.models import Publication, PublicationStatus
from xinfang.board.moderation import (
    publication_get_for_moderator,
    publication_list_for_moderator,
    publication_versions,
)
from xinfang.board.redaction import CLASSES
from xinfang.core.errors import ApplicationError, FieldErrors
from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import staff_scope
from xinfang.signin.decorators import staff_login_required

ACTIONS = ("approve", "reject", "withdraw", "requeue")
STATUS_FOR_CODE = {"not_found": 404, "forbidden": 403}


def _moderator(request: HttpRequest) -> None:
    scope = staff_scope(user=request.user)
    if not (scope.see_all or Perm.CASE_SUPERVISE in scope.perms):
        raise Http404


def _publication_or_404(request: HttpRequest, pk: int) -> Publication:
    publication = publication_get_for_moderator(user=request.user, publication_id=pk)
    if publication is None:
        raise Http404
    return publication


def _counts(redactions: dict[str, int]) -> list[tuple[str, int]]:
    """What redaction removed, in a fixed order, with the class names the page shows."""
    return [(str(services.CLASS_LABELS[c]), redactions[c]) for c in CLASSES if redactions.get(c)]


@require_GET
@staff_login_required
def queue(request: HttpRequest) -> HttpResponse:
    # Open to all staff (the nav shows it to all): a non-moderator simply sees an empty queue.
    rows = list(publication_list_for_moderator(user=request.user)[:200])
    return render(request, "board/staff_queue.html", {"rows": rows})


def _page(
    request: HttpRequest,
    publication: Publication,
    *,
    forms_: dict[str, forms.Form] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    versions = publication_versions(publication=publication)
    latest = versions[0] if versions else None
    initial = (
        {"title": latest.title, "content": latest.content, "reply": latest.reply} if latest else {}
    )
    bound = forms_ or {}
    context: dict[str, Any] = {
        "pub": publication,
        "latest": latest,
        "versions": versions,
        "counts": _counts(latest.redactions) if latest else [],
        "approve_form": bound.get("approve") or ApproveForm(initial=initial, prefix="approve"),
        "reject_form": bound.get("reject") or ReasonForm(prefix="reject"),
        "withdraw_form": bound.get("withdraw") or ReasonForm(prefix="withdraw"),
        "requeue_form": bound.get("requeue") or ReasonForm(prefix="requeue"),
        "pending": publication.status == PublicationStatus.PENDING,
        "published": publication.status == PublicationStatus.PUBLISHED,
        "closed": publication.status in (PublicationStatus.REJECTED, PublicationStatus.WITHDRAWN),
        "error": error,
    }
    return render(request, "board/staff_detail.html", context, status=status)


@require_GET
@staff_login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    _moderator(request)
    return _page(request, _publication_or_404(request, pk))


def _run(action: str, publication: Publication, user: Any, data: dict[str, Any]) -> None:
    if action == "approve":
        services.publication_approve(
            publication=publication,
            actor=user,
            title=data["title"],
            content=data["content"],
            reply=data["reply"],
            note=data["note"],
        )
    elif action == "reject":
        services.publication_reject(publication=publication, actor=user, reason=data["reason"])
    elif action == "withdraw":
        services.publication_withdraw(publication=publication, actor=user, reason=data["reason"])
    else:
        services.publication_requeue(publication=publication, actor=user, reason=data["reason"])


@require_POST
@staff_login_required
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _moderator(request)
    if action not in ACTIONS:
        raise Http404
    publication = _publication_or_404(request, pk)
    form_class = ApproveForm if action == "approve" else ReasonForm
    form = form_class(request.POST, prefix=action)
    if not form.is_valid():
        return _page(request, publication, forms_={action: form}, status=400)
    try:
        _run(action, publication, request.user, form.cleaned_data)
    except FieldErrors as exc:
        for field, msgs in exc.errors.items():
            for msg in msgs:
                form.add_error(field if field in form.fields else None, str(msg))
        return _page(request, publication, forms_={action: form}, status=400)
    except ApplicationError as exc:
        publication.refresh_from_db()
        status = STATUS_FOR_CODE.get(exc.code, exc.http_status)
        return _page(request, publication, error=str(exc.message), status=status)
    return redirect(reverse("board_staff:detail", args=[publication.pk]))
