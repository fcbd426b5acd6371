"""The account's server URL (/wechat/<code>/) and the H5 form a follower opens from it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

# The web form's own handling of POSTed fields and uploads: one form, two channels.
from xinfang.intake.forms import RECEIPT_SESSION_KEY, citizen_form_post, form_context
from xinfang.wechat import protocol
from xinfang.wechat.models import WechatAccount
from xinfang.wechat.protocol import ProtocolError
from xinfang.wechat.selectors import account_get, draft_get, link_openid, link_token
from xinfang.wechat.services import h5_submit, message_handle

_TOKEN_PARAM = "t"  # noqa: S105  # the query parameter's name, not a secret


def _account(code: str) -> WechatAccount:
    account = account_get(code=code)
    if account is None:
        raise Http404
    return account


def _refuse(exc: ProtocolError) -> HttpResponse:
    # WeChat's server logs the body; a person configuring the account reads it.
    return HttpResponse(
        f"{exc.message.zh} {exc.message.en}",
        status=exc.status,
        content_type="text/plain; charset=utf-8",
    )


def form_link(account: WechatAccount, openid: str) -> str:
    """The absolute link to the follower's pre-filled H5 form (a signed, expiring token), on
    the public site address notices use too (the callback's Host is WeChat's choice)."""
    path = reverse("wechat:form", kwargs={"code": account.code})
    token = link_token(account=account, openid=openid)
    return f"{settings.XINFANG_SITE_URL.rstrip('/')}{path}?{_TOKEN_PARAM}={token}"


@csrf_exempt  # WeChat's servers post here; the signature authenticates them instead
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest, code: str) -> HttpResponse:
    account = _account(code)
    try:
        req = protocol.request_from_query(request.GET)
        if request.method == "GET":
            echo = protocol.verify_echo(account, req, request.GET.get("echostr", ""))
            return HttpResponse(echo, content_type="text/plain; charset=utf-8")
        inbound = protocol.open_body(account, req, request.body)
        link = form_link(account, inbound.openid)
        text = message_handle(account=account, inbound=inbound, form_link=link)
        body, content_type = protocol.render_reply(account, req, inbound, text)
    except ProtocolError as exc:
        return _refuse(exc)
    return HttpResponse(body, content_type=content_type)


def _form_values(request: HttpRequest, account: WechatAccount, openid: str) -> Any:
    if request.method == "POST":
        return request.POST
    draft = draft_get(account=account, openid=openid)
    values = {k: draft.get(k, "") for k in ("petition_type", "title", "content", "region_code")}
    # The link is a bearer credential and gets forwarded in chats: the phone is typed again.
    values["name"] = draft.get("name", "")
    values["anonymous"] = "on" if draft.get("anonymous") else ""
    return values


def _render_form(
    request: HttpRequest,
    account: WechatAccount,
    openid: str,
    *,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = form_context(
        request,
        values=_form_values(request, account, openid),
        errors=errors or {},
        wechat_account=account,
    )
    return render(request, "intake/submit.html", context, status=status)


@require_http_methods(["GET", "POST"])
def form(request: HttpRequest, code: str) -> HttpResponse:
    """The intake web form, bound by the link's token to one follower of the account."""
    account = _account(code)
    openid = link_openid(account=account, token=request.GET.get(_TOKEN_PARAM, ""))
    if openid is None:
        return render(request, "wechat/link_invalid.html", {"account": account}, status=403)
    if request.method == "GET":
        return _render_form(request, account, openid)
    # The link may be forwarded: the portal's hourly limit applies here too.
    outcome = citizen_form_post(
        request,
        submit=lambda data, files: h5_submit(
            account=account,
            openid=openid,
            data=data,
            files=files,
            form_token=request.POST.get("form_token", ""),
        ),
        rerender=lambda errors, status: _render_form(
            request, account, openid, errors=errors, status=status
        ),
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    return redirect("wechat:receipt", code=account.code)


def receipt(request: HttpRequest, code: str) -> HttpResponse:
    data = request.session.get(RECEIPT_SESSION_KEY)
    if not data:
        raise Http404
    return render(request, "intake/receipt.html", {"receipt": data})
