"""Minimal valid units and staff; each test adds only what it needs."""

from __future__ import annotations

import itertools

from xinfang.orgs.models import Membership, Org, OrgKind, Region, User
from xinfang.orgs.permissions import Role
from xinfang.orgs.services import membership_grant, org_create, user_create_staff

_seq = itertools.count(1)


def region(code: str = "430102") -> Region:
    return Region.objects.get(code=code)


def make_org(
    *,
    kind: OrgKind = OrgKind.DEPARTMENT,
    region_code: str = "430102",
    parent: Org | None = None,
    name: str = "",
) -> Org:
    n = next(_seq)
    return org_create(
        code=f"T{region_code}-{kind.value}-{n}",
        name=name or f"测试单位{n}",
        kind=kind,
        region=region(region_code),
        parent=parent,
    )


def make_bureau(region_code: str = "430102") -> Org:
    return make_org(
        kind=OrgKind.PETITION_BUREAU,
        region_code=region_code,
        name=f"{region(region_code).name}信访局",
    )


def make_staff(*, org: Org, role: Role = Role.REGISTRAR, username: str = "") -> User:
    user = user_create_staff(
        username=username or f"user{next(_seq)}", password="pw-for-tests-only", full_name="测试"
    )
    membership_grant(user=user, org=org, role=role)
    return user


def memberships(user: User) -> list[Membership]:
    return list(user.memberships.all())
