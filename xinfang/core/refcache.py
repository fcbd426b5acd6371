"""A short-lived per-process cache for hot reference rows (regions, catalogue, bureaus).

Reference data changes a few times a year and every intake request reads it; a few minutes of
staleness per process is the price of not querying it each time. Nothing that must be shared
between processes lives here (DESIGN §2): every process fills its own copy from the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

TTL_SECONDS = 300
T = TypeVar("T")
_store: dict[tuple[str, object], tuple[float, object]] = {}


def cached(kind: str, key: object, load: Callable[[], T]) -> T:
    now = time.monotonic()
    hit = _store.get((kind, key))
    if hit is not None and now - hit[0] < TTL_SECONDS:
        return hit[1]  # type: ignore[return-value]
    value = load()
    _store[(kind, key)] = (now, value)
    return value


def clear() -> None:
    _store.clear()
