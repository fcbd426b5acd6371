from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Throttle counters and cached unit figures must not leak from one test to the next."""
    cache.clear()
    yield
    cache.clear()
