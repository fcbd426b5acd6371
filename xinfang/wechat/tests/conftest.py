from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from xinfang.wechat.models import WechatAccount
from xinfang.wechat.tests.helpers import FakeWeChatApi, make_account, start_fake_api


@pytest.fixture(autouse=True)
def nonces_forgotten() -> Iterator[None]:
    """Used nonces live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def account(db: Any) -> WechatAccount:
    return make_account()


@pytest.fixture
def fake_api(settings: Any) -> Iterator[FakeWeChatApi]:
    api = start_fake_api()
    settings.XINFANG_WECHAT_API_BASE = api.base
    cache.clear()  # access tokens live in the cache
    yield api
    api.server.shutdown()
    api.server.server_close()
    cache.clear()
