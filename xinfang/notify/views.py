"""Pages of xinfang.notify: the staff outbox (/staff/notify/) and the citizen's channel
preference (/me/notify/). They translate requests and call selectors and services only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from xinfang.citizens.sms import phone_mask
from xinfang.citizens.views import SESSION_PHONE_INDEX, SESSION_PHONE_MASK
from xinfang.core.errors import ApplicationError, FieldErrors
from xinfang.notify.models import Medium, Notification, NotificationStatus, PreferredChannel
from xinfang.notify.selectors import (
    can_retry,
    known_media,
    notification_get_for_user,
    notification_list_for_user,
    preference_get,
)
from xinfang.notify.services import notification_retry, preference_set
from xinfang.signin.decorators import staff_login_required

PAGE_SIZE = 50


def address_mask(row: Notification) -> str:
    """Enough for staff to recognise an address, not to use it."""
    address = row.address
    if row.medium == Medium.SMS:
        return phone_mask(address)
    if row.medium == Medium.EMAIL:
        local, _sep, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    account, _sep, openid = address.rpartition("/")
    return f"{account}/…{openid[-4:]}"


def _filters(request: HttpRequest) -> dict[str, str]:
    status = request.GET.get("status", "")
    medium = request.GET.get("medium", "")
    return {
        "status": status if status in NotificationStatus.values else "",
        "medium": medium if medium in Medium.values else "",
        "item_number": request.GET.get("item", "").strip()[:40],
    }


@staff_login_required
def outbox(request: HttpRequest) -> HttpResponse:
    """发送状态: outbox rows with their status, attempts and last error; failed rows can be
    sent again by users allowed to."""
    filters = _filters(request)
    rows = notification_list_for_user(user=request.user, **filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "page": page,
        "rows": [(row, address_mask(row)) for row in page.object_list],
        "filters": filters,
        "statuses": NotificationStatus.choices,
        "media": Medium.choices,
        "can_retry": can_retry(user=request.user),
        "query": request.GET.urlencode(),
    }
    return render(request, "notify/outbox.html", context)


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    ok = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    home = reverse("notify:outbox")
    return target if ok and target.startswith(home) else home


@require_POST
@staff_login_required
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_retry(user=request.user):
        return HttpResponseForbidden(_("您没有重发通知的权限。"))
    row = notification_get_for_user(user=request.user, pk=pk)
    if row is None:
        raise Http404
    try:
        notification_retry(notification=row, actor=request.user)  # type: ignore[arg-type]
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return redirect(_back(request))
    messages.success(request, _("已重新排队发送。"))
    return redirect(_back(request))


# --- citizens ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """通知方式: how the signed-in citizen wants to hear about their petitions."""
    index = str(request.session.get(SESSION_PHONE_INDEX, ""))
    if not index:
        return redirect(f"{reverse('citizens:login')}?next={request.path}")
    pref = preference_get(phone_index=index)
    context: dict[str, Any] = {
        "channels": PreferredChannel.choices,
        "known": known_media(phone_index=index),
        "current": pref.channel if pref else "",
        "language": pref.language if pref else "",
        "phone_mask": request.session.get(SESSION_PHONE_MASK, ""),
        "errors": {},
    }
    if request.method == "GET":
        return render(request, "notify/preferences.html", context)
    channel = request.POST.get("channel", "")
    language = request.POST.get("language", "")
    try:
        preference_set(phone_index=index, channel=channel, language=language)
    except FieldErrors as exc:
        context["errors"] = {f: [str(m) for m in msgs] for f, msgs in exc.errors.items()}
        context["current"], context["language"] = channel, language
        return render(request, "notify/preferences.html", context, status=400)
    messages.success(request, _("通知方式已保存。"))
    return redirect("citizens:notify")
