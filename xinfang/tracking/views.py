"""The public tracking page: query code + second factor → status and public timeline."""

from __future__ import annotations

import time
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from xinfang.cases.models import Case
from xinfang.cases.selectors import case_get_by_query_code
from xinfang.cases.workflow import Actor
from xinfang.core.errors import ApplicationError, FieldErrors, Msg
from xinfang.core.http import client_key
from xinfang.handling.evaluation import case_rate
from xinfang.handling.models import RatingParty, RatingValue
from xinfang.handling.services import case_reexam_request, case_withdraw
from xinfang.tracking.services import TrackingThrottled, track_lookup, track_view

# A verified look-up lets the same browser act on the case for a while without re-typing the
# second factor (rate, ask for 复查, withdraw); the session holds only case ids and times.
SESSION_KEY = "tracked_cases"
SESSION_SECONDS = 30 * 60


def track_remember(request: HttpRequest, case_id: int) -> None:
    """Remember for SESSION_SECONDS that this browser passed the look-up for the case (also
    used by xinfang.citizens after a phone sign-in)."""
    tracked = dict(request.session.get(SESSION_KEY, {}))
    tracked[str(case_id)] = time.time()
    request.session[SESSION_KEY] = tracked


def track_verified_case(request: HttpRequest, query_code: str) -> Case | None:
    """The case, if this browser passed its look-up within SESSION_SECONDS, else None."""
    case = case_get_by_query_code(query_code=query_code) if query_code else None
    if case is None:
        return None
    seen = request.session.get(SESSION_KEY, {}).get(str(case.pk))
    return case if seen and time.time() - float(seen) < SESSION_SECONDS else None


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"query_code": request.GET.get("code", "")}
    status = 200
    if request.method == "POST":
        context["query_code"] = request.POST.get("query_code", "")
        try:
            view = track_lookup(
                query_code=context["query_code"],
                factor=request.POST.get("verify", ""),
                client=client_key(request),
            )
        except ApplicationError as exc:
            context["error"] = str(exc.message)
            status = 429 if isinstance(exc, TrackingThrottled) else 404
        else:
            context["view"] = view
            track_remember(request, view.case.pk)
    else:
        case = track_verified_case(request, context["query_code"])
        if case is not None:
            context["view"] = track_view(case=case)
    return track_render(request, context, status)


RATING_CHOICES = [
    (RatingValue.SATISFIED.value, RatingValue.SATISFIED.label),
    (RatingValue.BASIC.value, RatingValue.BASIC.label),
    (RatingValue.DISSATISFIED.value, RatingValue.DISSATISFIED.label),
]


def track_render(request: HttpRequest, context: dict[str, Any], status: int) -> HttpResponse:
    """The tracking page (look-up form, status, timeline and the petitioner's forms)."""
    context["rating_choices"] = RATING_CHOICES
    context["request_actions"] = [
        (
            "reexam",
            _("申请复查"),
            _("对处理意见不服的，可自收到书面答复之日起30日内向上一级机关申请复查。"),
        ),
        ("review", _("申请复核"), _("对复查意见不服的，可自收到复查意见之日起30日内申请复核。")),
        ("withdraw", _("撤回信访事项"), _("撤回后本事项办结，不再继续办理。")),
    ]
    return render(request, "tracking/track.html", context, status=status)


def _petitioner_act(case: Case, action: str, post: Any) -> None:
    reason = post.get("reason", "")
    if action == "rate":
        values = {
            RatingParty.BUREAU: post.get("bureau", ""),
            RatingParty.UNIT: post.get("unit", ""),
        }
        case_rate(case=case, values=values, reason=reason)
    elif action in ("reexam", "review"):
        case_reexam_request(
            case=case, actor=None, by=Actor.PETITIONER, reason=reason, review=action == "review"
        )
    elif action == "withdraw":
        case_withdraw(case=case, actor=None, by=Actor.PETITIONER, reason=reason)
    else:
        raise ApplicationError(Msg("无效的操作。", "Unknown action."), code="invalid")


@require_POST
def track_act(request: HttpRequest) -> HttpResponse:
    """A verified petitioner acts on their case; errors come back on the same page."""
    query_code = request.POST.get("query_code", "")
    case = track_verified_case(request, query_code)
    if case is None:
        context = {
            "query_code": query_code,
            "error": str(Msg("请先输入查询码和验证信息。", "Look the case up first.")),
        }
        return track_render(request, context, 403)
    action = request.POST.get("action", "")
    try:
        with transaction.atomic():
            _petitioner_act(case, action, request.POST)
    except FieldErrors as exc:
        errors = {k: [str(m) for m in v] for k, v in exc.errors.items()}
        return _track_error(request, case, action, str(exc.message), errors)
    except ApplicationError as exc:
        return _track_error(request, case, action, str(exc.message), {})
    return redirect(f"{reverse('track')}?code={case.query_code}#track-result")


def _track_error(
    request: HttpRequest, case: Case, action: str, message: str, errors: dict[str, list[str]]
) -> HttpResponse:
    case.refresh_from_db()
    context = {
        "query_code": case.query_code,
        "view": track_view(case=case),
        "error": message,
        "action_errors": errors,
        "failed_action": action,
        "posted": request.POST,
    }
    return track_render(request, context, 400)
