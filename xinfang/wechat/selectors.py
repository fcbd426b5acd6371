"""Reads for WeChat: accounts, a follower's petitions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing

from xinfang.cases.models import Case
from xinfang.notify.contacts import contact_index
from xinfang.notify.models import ContactPoint, Medium
from xinfang.wechat.models import Conversation, WechatAccount

_LINK_SALT = "xinfang.wechat.h5"


def account_get(*, code: str) -> WechatAccount | None:
    """The active account named `code`, or None."""
    return WechatAccount.objects.filter(code=code, is_active=True).first()


def follower_address(*, account: WechatAccount, openid: str) -> str:
    """A follower's contact address as notify stores it: "<account code>/<openid>"."""
    return f"{account.code}/{openid}"


def follower_cases(*, account: WechatAccount, openid: str, limit: int = 5) -> list[Case]:
    """The follower's petitions, newest first, found by the contact point's blind index."""
    index = contact_index(
        medium=Medium.WECHAT, address=follower_address(account=account, openid=openid)
    )
    case_ids = ContactPoint.objects.filter(medium=Medium.WECHAT, address_index=index).values(
        "case_id"
    )
    return list(Case.objects.filter(pk__in=case_ids).order_by("-received_at", "-pk")[:limit])


def link_token(*, account: WechatAccount, openid: str) -> str:
    """A signed token binding the H5 form to one follower of one account (expires; see
    link_openid)."""
    return signing.dumps({"a": account.code, "o": openid}, salt=_LINK_SALT, compress=True)


def link_openid(*, account: WechatAccount, token: str) -> str | None:
    """The openid a form link was made for, or None when the token is forged, for another
    account, or older than XINFANG_WECHAT_LINK_MAX_AGE."""
    try:
        data = signing.loads(token, salt=_LINK_SALT, max_age=settings.XINFANG_WECHAT_LINK_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(data, dict) or data.get("a") != account.code:
        return None
    openid = data.get("o")
    return openid if isinstance(openid, str) and openid else None


def draft_get(*, account: WechatAccount, openid: str) -> dict[str, Any]:
    """The follower's unfinished conversation draft (it pre-fills the H5 form), or {}."""
    conv = Conversation.objects.filter(account=account, openid=openid).first()
    return dict(conv.draft) if conv else {}
