"""Reads for regions, units and what a staff user may see and do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from xinfang.core import refcache
from xinfang.core.trees import ancestors
from xinfang.orgs.models import Membership, Org, OrgKind, Region
from xinfang.orgs.permissions import REGIONAL_ROLES, ROLE_PERMS, Perm, Role


def region_get(*, code: str) -> Region | None:
    """Region by division code (6 or 9 digits; 2/4-digit prefixes are padded). Cached."""
    code = code.strip()
    if code.isdigit() and len(code) in (2, 4):
        code = code.ljust(6, "0")
    return refcache.cached("region", code, lambda: Region.objects.filter(code=code).first())


def region_prefix(code: str) -> str:
    """The significant digits of a division code ("430100" → "4301"): every division inside
    it starts with them."""
    region = region_get(code=code) if code else None
    if region is not None:
        return str(region.prefix)
    return code.rstrip("0") if code.isdigit() else ""


def region_children(*, parent_code: str | None) -> QuerySet[Region]:
    if not parent_code:
        return Region.objects.filter(parent__isnull=True)
    return Region.objects.filter(parent__code=parent_code)


def region_ancestors(*, region: Region) -> list[Region]:
    """The region and its ancestors, nearest first (at most four levels)."""
    return ancestors(region)


def bureau_for_region(*, region: Region) -> Org | None:
    """The petition bureau responsible for a region: the nearest one up the division chain."""
    return refcache.cached(
        "bureau", region.pk, lambda: org_nearest(kind=OrgKind.PETITION_BUREAU, region=region)
    )


def org_nearest(*, kind: OrgKind, region: Region) -> Org | None:
    """The active unit of `kind` in `region` or, failing that, in the nearest region above it
    (deterministic where a region has several: the one with the highest code)."""
    chain = region_ancestors(region=region)
    found: dict[int, Org] = {}
    for org in Org.objects.filter(kind=kind, is_active=True, region__in=chain).order_by("code"):
        found[org.region_id] = org
    return next((found[r.pk] for r in chain if r.pk in found), None)


@dataclass(frozen=True)
class ActingAs:
    """One membership as the workflow sees it: the unit, what the role allows there, and the
    region the role covers (regional roles and bureau staff only)."""

    org: Org
    perms: frozenset[Perm]
    region_prefix: str = ""

    @property
    def org_id(self) -> int:
        return self.org.pk


@dataclass(frozen=True)
class StaffScope:
    """What one staff user may see: units in person, plus whole regions for regional roles."""

    org_ids: frozenset[int]
    region_prefixes: frozenset[str]
    perms: frozenset[Perm]
    see_all: bool = False
    memberships: tuple[ActingAs, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.see_all or self.org_ids or self.region_prefixes)


def staff_scope(*, user: Any) -> StaffScope:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return StaffScope(frozenset(), frozenset(), frozenset())
    if getattr(user, "is_superuser", False):
        return StaffScope(frozenset(), frozenset(), frozenset(Perm), see_all=True)
    memberships = Membership.objects.filter(
        user=user, is_active=True, org__is_active=True
    ).select_related("org__region")
    org_ids: set[int] = set()
    prefixes: set[str] = set()
    perms: set[Perm] = set()
    acting: list[ActingAs] = []
    for m in memberships.order_by("pk"):
        role = Role(m.role)
        perms |= ROLE_PERMS[role]
        if Perm.CASE_VIEW not in ROLE_PERMS[role]:
            acting.append(ActingAs(m.org, ROLE_PERMS[role]))
            continue
        org_ids.add(m.org_id)
        # A bureau's staff, and supervisors anywhere, follow cases in the unit's whole region.
        prefix = ""
        if role in REGIONAL_ROLES or m.org.kind == OrgKind.PETITION_BUREAU:
            prefix = m.org.region.prefix
            prefixes.add(prefix)
        acting.append(ActingAs(m.org, ROLE_PERMS[role], prefix))
    return StaffScope(
        frozenset(org_ids), frozenset(prefixes), frozenset(perms), memberships=tuple(acting)
    )


def org_scope_q(*, scope: StaffScope, prefix: str = "") -> Q:
    """A Q over Org (or over a relation to it, via `prefix`) matching the scope's units."""
    if scope.see_all:
        return Q()
    q = Q(**{f"{prefix}pk__in": list(scope.org_ids)})
    for p in sorted(scope.region_prefixes):
        q |= Q(**{f"{prefix}region__code__startswith": p})
    return q


def user_has_perm(*, user: object, perm: Perm) -> bool:
    return perm in staff_scope(user=user).perms


def org_subtree(*, org: Org) -> QuerySet[Org]:
    return Org.objects.filter(path__startswith=org.path)
