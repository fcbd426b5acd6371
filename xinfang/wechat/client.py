"""The WeChat API for one account: wechatpy's client, its access token in Django's cache.

wechatpy keeps tokens in process memory by default; with several app and worker processes each
would fetch its own token, and every fetch invalidates the one before (after a five-minute grace),
so tokens live in the shared cache under the account's appid instead. The API base comes from
settings.XINFANG_WECHAT_API_BASE (the token URL too: wechatpy hard-codes it).
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from wechatpy.client import WeChatClient
from wechatpy.session import SessionStorage

from xinfang.wechat.models import WechatAccount

# Fetch a new token this long before WeChat's expiry (7,200 s), so no request uses a dying one.
_TOKEN_MARGIN = 300


class CacheStorage(SessionStorage):
    """wechatpy's session storage on Django's cache."""

    prefix = "wechat:session:"

    def get(self, key: str, default: Any = None) -> Any:
        return cache.get(self.prefix + key, default)

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        if value is None:
            return
        timeout = max(60, int(ttl) - _TOKEN_MARGIN) if ttl else None
        cache.set(self.prefix + key, value, timeout)

    def delete(self, key: str) -> None:
        cache.delete(self.prefix + key)


class _TimeoutSession(requests.Session):
    """A requests session with a default timeout: wechatpy's token fetch sets none."""

    def __init__(self, timeout: int) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(*args, **kwargs)


class AccountClient(WeChatClient):
    """WeChatClient whose every URL, the token's included, starts at the configured base."""

    def __init__(self, *, appid: str, secret: str, api_base: str, timeout: int) -> None:
        super().__init__(appid, secret, session=CacheStorage(), timeout=timeout)
        self.API_BASE_URL = api_base
        self._http = _TimeoutSession(timeout)

    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(
            url=self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


def account_client(account: WechatAccount) -> AccountClient:
    return AccountClient(
        appid=account.appid,
        secret=account.app_secret,
        api_base=settings.XINFANG_WECHAT_API_BASE,
        timeout=settings.XINFANG_WECHAT_API_TIMEOUT,
    )
