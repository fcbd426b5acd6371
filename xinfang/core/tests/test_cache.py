"""The shared cache that rate limits count in when several workers run (XINFANG_CACHE_URL)."""

from __future__ import annotations

import socket
import uuid

import pytest
from django.core.cache.backends.redis import RedisCache

REDIS = ("127.0.0.1", 6379)


def _redis_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_two_processes_worth_of_clients_share_one_counter() -> None:
    # Two cache objects stand for two worker processes configured with the same URL.
    url = "redis://127.0.0.1:6379/15"
    first, second = RedisCache(url, {}), RedisCache(url, {})
    key = f"ratelimit-test:{uuid.uuid4().hex}"
    first.add(key, 0, timeout=60)
    first.incr(key)
    second.incr(key)
    assert first.get(key) == 2
    second.delete(key)
    assert first.get(key) is None
