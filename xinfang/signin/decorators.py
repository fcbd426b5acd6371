"""Guards for staff pages: signed in, and verified with a code where the policy asks for one."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from xinfang.signin.selectors import otp_pending
from xinfang.signin.services import Step, signin_second_step

View = Callable[..., HttpResponse]


def step_url(step: Step, *, next_url: str) -> str:
    """Where a sign-in continues: the page asked for, or the code (or enrolment) page."""
    if step is Step.DONE:
        return next_url
    name = "signin:otp" if step is Step.OTP else "signin:otp-setup"
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def staff_gate(request: HttpRequest) -> HttpResponse | None:
    """None when the request may go on; otherwise the redirect that completes the sign-in."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("signin:login"))
    if otp_pending(user=user):
        step = signin_second_step(user=user)
        return HttpResponseRedirect(step_url(step, next_url=request.get_full_path()))
    return None


def staff_login_required(view: View) -> View:
    """Every staff page: anonymous → sign-in page; password only, code required → code page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return staff_gate(request) or view(request, *args, **kwargs)

    return wrapped


class StaffLoginRequiredMixin:
    """The same guard for class-based views; list it first among the bases."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        denied = staff_gate(request)
        if denied is not None:
            return denied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
