"""A small unit tree for workflow tests: city → county government → its bureau and
housing department (with a street office below it), plus the people who work there."""

from __future__ import annotations

from dataclasses import dataclass

from xinfang.documents.services import template_defaults_install
from xinfang.orgs.models import Org, OrgKind, User
from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_org, make_staff


@dataclass
class World:
    city_gov: Org
    county_gov: Org
    bureau: Org
    housing: Org
    street: Org
    discipline: Org
    registrar: User
    handler: User
    leader: User
    supervisor: User
    revisit: User
    county_registrar: User
    county_leader: User
    city_registrar: User
    city_leader: User


def build_world() -> World:
    template_defaults_install()
    city_gov = make_org(kind=OrgKind.GOVERNMENT, region_code="430100", name="长沙市人民政府")
    county_gov = make_org(
        kind=OrgKind.GOVERNMENT, region_code="430102", parent=city_gov, name="芙蓉区人民政府"
    )
    bureau = make_org(
        kind=OrgKind.PETITION_BUREAU, region_code="430102", parent=county_gov, name="芙蓉区信访局"
    )
    housing = make_org(region_code="430102", parent=county_gov, name="芙蓉区住房和城乡建设局")
    street = make_org(kind=OrgKind.TOWNSHIP, region_code="430102", parent=housing, name="某街道")
    discipline = make_org(kind=OrgKind.DISCIPLINE, region_code="430102", name="芙蓉区纪委监委")
    return World(
        city_gov=city_gov,
        county_gov=county_gov,
        bureau=bureau,
        housing=housing,
        street=street,
        discipline=discipline,
        registrar=make_staff(org=bureau, role=Role.REGISTRAR),
        handler=make_staff(org=housing, role=Role.HANDLER),
        leader=make_staff(org=housing, role=Role.UNIT_LEADER),
        supervisor=make_staff(org=bureau, role=Role.BUREAU_SUPERVISOR),
        revisit=make_staff(org=bureau, role=Role.REVISIT_AGENT),
        county_registrar=make_staff(org=county_gov, role=Role.REGISTRAR),
        county_leader=make_staff(org=county_gov, role=Role.UNIT_LEADER),
        city_registrar=make_staff(org=city_gov, role=Role.REGISTRAR),
        city_leader=make_staff(org=city_gov, role=Role.UNIT_LEADER),
    )
