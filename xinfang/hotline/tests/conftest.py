from __future__ import annotations

from typing import Any

import pytest

from xinfang.handling.tests.world import World, build_world


@pytest.fixture
def world(db: Any) -> World:
    """芙蓉区's bureau (registrar, supervisor …), its government and housing bureau."""
    return build_world()
