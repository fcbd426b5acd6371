from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from xinfang.core import refcache
from xinfang.orgs.models import Org, OrgKind, Region, RegionLevel
from xinfang.orgs.permissions import ROLE_PERMS, Perm, Role
from xinfang.orgs.selectors import (
    bureau_for_region,
    org_subtree,
    region_get,
    staff_scope,
)
from xinfang.orgs.services import region_load_divisions
from xinfang.orgs.tests.factories import make_bureau, make_org, make_staff

pytestmark = pytest.mark.django_db


def test_hunan_divisions_are_loaded() -> None:
    hunan = Region.objects.filter(code__startswith="43")
    assert hunan.filter(level=RegionLevel.PROVINCE).get().name == "湖南省"
    assert hunan.filter(level=RegionLevel.CITY).count() == 14
    assert hunan.filter(level=RegionLevel.COUNTY).count() == 134
    changsha_townships = hunan.filter(level=RegionLevel.TOWNSHIP)
    assert changsha_townships.count() == 172
    assert all(r.code.startswith("4301") for r in changsha_townships)
    furong = Region.objects.get(code="430102")
    assert furong.full_name == "湖南省长沙市芙蓉区"
    assert furong.parent is not None
    assert furong.parent.code == "430100"


def test_loading_again_is_idempotent() -> None:
    before = Region.objects.count()
    region_load_divisions(province="43", township_cities=["4301"])
    assert Region.objects.count() == before


def test_region_get_pads_short_codes() -> None:
    assert region_get(code="43") == Region.objects.get(code="430000")
    assert region_get(code="4301") == Region.objects.get(code="430100")
    assert region_get(code="999999") is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"province": "4"}, "two-digit"),
        ({"province": "99"}, "no division data"),
        ({"townships": "43"}, "4-digit"),
    ],
)
def test_regions_load_rejects_bad_input_with_exit_code_2(
    args: dict[str, str], message: str
) -> None:
    with pytest.raises(CommandError, match=message) as exc:
        call_command("regions_load", **args)
    assert exc.value.returncode == 2


def test_org_paths_make_subtrees() -> None:
    gov = make_org(kind=OrgKind.GOVERNMENT, region_code="430100")
    dept = make_org(region_code="430100", parent=gov)
    leaf = make_org(region_code="430102", parent=dept)
    other = make_org(region_code="430200")
    assert set(org_subtree(org=gov)) == {gov, dept, leaf}
    assert other not in org_subtree(org=gov)
    assert leaf.path == f"/{gov.pk}/{dept.pk}/{leaf.pk}/"


def test_nearest_bureau_up_the_division_chain() -> None:
    province = make_bureau("430000")
    city = make_bureau("430100")
    street = Region.objects.get(code="430102001")
    assert bureau_for_region(region=street) == city
    assert bureau_for_region(region=Region.objects.get(code="430202")) == province
    Org.objects.filter(pk=city.pk).update(is_active=False)
    assert bureau_for_region(region=street) == city  # cached per process for a few minutes
    refcache.clear()
    assert bureau_for_region(region=street) == province


def test_staff_scope_collects_roles_and_regions() -> None:
    bureau = make_bureau("430100")
    dept = make_org(region_code="430102")
    user = make_staff(org=bureau, role=Role.REGISTRAR)
    from xinfang.orgs.services import membership_grant

    membership_grant(user=user, org=dept, role=Role.HANDLER)
    scope = staff_scope(user=user)
    assert scope.org_ids == {bureau.pk, dept.pk}
    assert scope.region_prefixes == {"4301"}  # the bureau's region, not the department's
    assert scope.perms == ROLE_PERMS[Role.REGISTRAR] | ROLE_PERMS[Role.HANDLER]
    assert Perm.IDENTITY_REVEAL not in scope.perms


def test_every_role_has_permissions() -> None:
    assert set(ROLE_PERMS) == set(Role)
    assert all(ROLE_PERMS[r] for r in Role)
