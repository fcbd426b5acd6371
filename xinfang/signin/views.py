"""Sign-in pages: password, TOTP code, TOTP enrolment, sign-out, and the lock-out page."""

from __future__ import annotations

import math
from typing import Any

import segno
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from xinfang.orgs.models import User
from xinfang.signin.decorators import step_url
from xinfang.signin.forms import LoginForm, TokenForm
from xinfang.signin.selectors import otp_device_exists, otp_pending
from xinfang.signin.services import (
    SigninLocked,
    Step,
    otp_enrolment_device,
    otp_secret_display,
    signin_enrol,
    signin_failed,
    signin_logout,
    signin_otp,
    signin_password_ok,
    signin_second_step,
    signin_subject,
)


def _next_url(request: HttpRequest) -> str:
    """The page to return to: only a path on this site, never another host (open redirect)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _done(request: HttpRequest, user: User) -> bool:
    """Signed in as this user with nothing more to give."""
    return request.user.pk == user.pk and not otp_pending(user=request.user)


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if request.method == "GET" and otp_pending(user=request.user):
        return redirect(step_url(signin_second_step(user=request.user), next_url=next_url))
    form = LoginForm(request, data=request.POST if request.method == "POST" else None)
    if form.is_valid():
        step = signin_password_ok(request=request, user=form.get_user())
        return redirect(step_url(step, next_url=next_url))
    if form.is_bound:
        # When this failure reached the limit (or the account was already locked), axes'
        # middleware replaces the page below with the lock-out page.
        signin_failed(request=request, username=str(form.data.get("username", "")))
    return render(request, "signin/login.html", {"form": form, "next": next_url})


@sensitive_post_parameters("token")
@never_cache
@require_http_methods(["GET", "POST"])
def otp_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    user = signin_subject(request=request)
    if user is None:
        return redirect_to_login(next_url, reverse("signin:login"))
    if _done(request, user):
        return redirect(next_url)
    if not otp_device_exists(user=user):
        return redirect(step_url(Step.SETUP, next_url=next_url))
    form = TokenForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            if signin_otp(request=request, user=user, token=form.cleaned_data["token"]):
                return redirect(next_url)
        except SigninLocked:
            return locked_out(request)
        form.add_error("token", _("验证码不正确，请重新输入。"))
    return render(request, "signin/otp.html", {"form": form, "next": next_url, "subject": user})


@sensitive_post_parameters("token")
@never_cache
@require_http_methods(["GET", "POST"])
def otp_setup_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    user = signin_subject(request=request)
    if user is None:
        return redirect_to_login(next_url, reverse("signin:login"))
    if _done(request, user):
        return redirect(next_url)
    if otp_device_exists(user=user):
        # Enrolling another device takes the code of the first: a password alone must not do.
        return redirect(step_url(Step.OTP, next_url=next_url))
    form = TokenForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        if signin_enrol(request=request, user=user, token=form.cleaned_data["token"]):
            return redirect(next_url)
        form.add_error("token", _("验证码不正确，请核对手机上显示的数字后重新输入。"))
    device = otp_enrolment_device(user=user)
    context = {
        "form": form,
        "next": next_url,
        "subject": user,
        "qr_svg": _qr_svg(device.config_url),
        "secret": otp_secret_display(device=device),
    }
    return render(request, "signin/otp_setup.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    signin_logout(request=request)
    return HttpResponseRedirect(reverse("signin:login"))


def locked_out(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The lock-out page (AXES_LOCKOUT_CALLABLE): the same for every username, known or not."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else 0
    return render(request, "signin/locked.html", {"minutes": minutes}, status=429)


def _qr_svg(url: str) -> str:
    svg = segno.make(url, error="m").svg_inline(
        scale=5, light="#fff", title=_("身份验证器二维码"), svgclass="qr"
    )
    # segno writes the markup itself and escapes the title; the URL is encoded as modules only.
    return mark_safe(svg)  # noqa: S308
