"""Fixtures: the workflow tests' unit tree, a proxy agent, and connected grid systems."""

from __future__ import annotations

from typing import Any

import pytest

from xinfang.grid.services import IssuedCredentials, grid_system_create
from xinfang.handling.tests.world import World, build_world
from xinfang.orgs.models import OrgKind, User
from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_org, make_staff, region


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


@pytest.fixture
def agent(world: World) -> User:
    village = make_org(kind=OrgKind.COMMUNITY, region_code="430102", name="某社区居委会")
    user = make_staff(org=village, role=Role.PROXY_AGENT)
    user.email = "agent@example.org"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def grid(world: World) -> IssuedCredentials:
    return grid_system_create(code="furong", name="芙蓉区网格化平台", region=region("430102"))


@pytest.fixture
def other_grid(world: World) -> IssuedCredentials:
    return grid_system_create(code="tianxin", name="天心区网格化平台", region=region("430103"))
