"""Writes for regions, units, staff and memberships."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from xinfang.core import refcache
from xinfang.orgs.models import Membership, Org, OrgKind, Region, RegionLevel, User
from xinfang.orgs.permissions import Role

DIVISIONS_DIR = Path(settings.BASE_DIR) / "xinfang" / "data" / "divisions"


@dataclass(frozen=True)
class _Division:
    code: str
    prefix: str
    name: str
    level: RegionLevel
    parent_prefix: str | None


def _pad(prefix: str) -> str:
    return prefix.ljust(6, "0") if len(prefix) < 6 else prefix


def _read(name: str) -> list[dict[str, str]]:
    with (DIVISIONS_DIR / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _divisions(province: str, township_cities: Iterable[str]) -> list[_Division]:
    rows: list[_Division] = []
    for r in _read("provinces.csv"):
        if r["code"] == province:
            rows.append(
                _Division(_pad(r["code"]), r["code"], r["name"], RegionLevel.PROVINCE, None)
            )
    for r in _read("cities.csv"):
        if r["provinceCode"] == province:
            rows.append(
                _Division(_pad(r["code"]), r["code"], r["name"], RegionLevel.CITY, province)
            )
    for r in _read("areas.csv"):
        if r["provinceCode"] == province:
            div = _Division(r["code"], r["code"], r["name"], RegionLevel.COUNTY, r["cityCode"])
            rows.append(div)
    wanted = set(township_cities)
    streets = DIVISIONS_DIR / f"streets-{province}.csv"
    if wanted and streets.exists():
        for r in _read(streets.name):
            if r["cityCode"] in wanted:
                div = _Division(
                    r["code"], r["code"], r["name"], RegionLevel.TOWNSHIP, r["areaCode"]
                )
                rows.append(div)
    return rows


@transaction.atomic
def region_load_divisions(
    *,
    province: str,
    township_cities: Iterable[str] = (),
    progress: Callable[[str], None] | None = None,
) -> int:
    """Create or update the regions of one province from the shipped divisions data.

    Idempotent: running it again updates names and adds missing rows. Returns rows written.
    """
    divisions = _divisions(province, township_cities)
    if not divisions:
        raise ValueError(f"no division data for province {province!r}")
    by_prefix: dict[str, Region] = {r.prefix: r for r in Region.objects.all()}
    written = 0
    for div in divisions:  # parents always precede children in the data order
        parent = by_prefix.get(div.parent_prefix) if div.parent_prefix else None
        full = f"{parent.full_name}{div.name}" if parent else div.name
        region, _ = Region.objects.update_or_create(
            code=div.code,
            defaults={
                "prefix": div.prefix,
                "name": div.name,
                "full_name": full,
                "level": div.level,
                "parent": parent,
            },
        )
        by_prefix[div.prefix] = region
        written += 1
        if progress and written % 500 == 0:
            progress(f"{written}/{len(divisions)} regions")
    refcache.clear()
    return written


def org_create(
    *,
    code: str,
    name: str,
    kind: OrgKind,
    region: Region,
    parent: Org | None = None,
    short_name: str = "",
) -> Org:
    org = Org.objects.create(
        code=code, name=name, kind=kind, region=region, parent=parent, short_name=short_name
    )
    org.path = f"{parent.path if parent else '/'}{org.pk}/"
    Org.objects.filter(pk=org.pk).update(path=org.path)
    return org


def user_create_staff(
    *, username: str, password: str, full_name: str, is_superuser: bool = False
) -> User:
    user = User(username=username, full_name=full_name, is_staff=True, is_superuser=is_superuser)
    user.set_password(password)
    user.save()
    return user


def membership_grant(*, user: User, org: Org, role: Role) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        user=user, org=org, role=role, defaults={"is_active": True}
    )
    return membership
