from __future__ import annotations

from typing import Any

import pytest

from xinfang.analytics.tests.kpi_world import KpiWorld, build_kpi_world


@pytest.fixture
def kw(db: Any) -> KpiWorld:
    return build_kpi_world()
