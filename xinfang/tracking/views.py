"""The public tracking page: query code + second factor → status and public timeline."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from xinfang.core.errors import ApplicationError
from xinfang.tracking.services import TrackingThrottled, track_lookup


def client_key(request: Any) -> str:
    """The client's address for throttling.

    X-Forwarded-For is read only behind a reverse proxy we run (setting), and then only its last
    entry, the one our proxy appended: anything before it is whatever the client chose to send.
    """
    if settings.XINFANG_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return str(forwarded)
    return str(request.META.get("REMOTE_ADDR", ""))


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"query_code": request.GET.get("code", "")}
    status = 200
    if request.method == "POST":
        context["query_code"] = request.POST.get("query_code", "")
        try:
            context["view"] = track_lookup(
                query_code=context["query_code"],
                factor=request.POST.get("verify", ""),
                client=client_key(request),
            )
        except ApplicationError as exc:
            context["error"] = str(exc.message)
            status = 429 if isinstance(exc, TrackingThrottled) else 404
    return render(request, "tracking/track.html", context, status=status)
