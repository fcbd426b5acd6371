"""Fixed-window counters in the cache, for rate limits (submissions, supports, hints).

Keys are hashed by the caller (client addresses never sit in the cache as such). With several
worker processes the cache must be shared (XINFANG_CACHE_URL), or each process counts alone.
"""

from __future__ import annotations

import time

from django.core.cache import cache


def _slot_key(key: str, window: int) -> str:
    return f"ratelimit:{key}:{int(time.time()) // window}"


def window_hit(*, key: str, window: int) -> int:
    """Count one event of `key` in the current window of `window` seconds; the count so far."""
    slot = _slot_key(key, window)
    cache.add(slot, 0, window)
    try:
        return int(cache.incr(slot))
    except ValueError:  # expired between add and incr
        cache.set(slot, 1, window)
        return 1


def window_count(*, key: str, window: int) -> int:
    """The events of `key` counted so far in the current window."""
    return int(cache.get(_slot_key(key, window), 0))
