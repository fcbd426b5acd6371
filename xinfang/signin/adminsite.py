"""The Django admin signs in through the staff sign-in and asks for the same second factor."""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from xinfang.signin.selectors import otp_pending


def adopt_signin(site: AdminSite) -> None:
    """Replace the admin's own login (no lock-out, no second factor) with ours."""
    admin_has_permission = site.has_permission

    def has_permission(request: HttpRequest) -> bool:
        return bool(admin_has_permission(request)) and not otp_pending(user=request.user)

    def login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
        return redirect_to_login(next_url, reverse("signin:login"))

    def logout(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        from xinfang.signin.views import logout_view

        return logout_view(request)

    site.has_permission = has_permission  # type: ignore[method-assign]
    site.login = login  # type: ignore[method-assign]
    site.logout = logout  # type: ignore[method-assign,assignment]
