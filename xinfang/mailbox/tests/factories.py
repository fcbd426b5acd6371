"""A leader mailbox with the units it needs; each test adds what it needs."""

from __future__ import annotations

from xinfang.catalog.models import PetitionType
from xinfang.mailbox.models import Mailbox
from xinfang.orgs.models import OrgKind
from xinfang.orgs.tests.factories import make_org, region

GOVERNOR = "shengzhang@xf.hunan.gov.cn"


def make_mailbox(
    *,
    address: str = GOVERNOR,
    name: str = "省长信箱",
    region_code: str = "430000",
    petition_type: str = "suggestion",
    is_active: bool = True,
    owner_kind: OrgKind = OrgKind.GOVERNMENT,
) -> Mailbox:
    """A mailbox owned by the people's government of `region_code` (which registers its
    petitions) or by a unit of `owner_kind`; tests create the region's bureau themselves."""
    owner = make_org(kind=owner_kind, region_code=region_code, name=f"{name}所属单位")
    return Mailbox.objects.create(
        address=address,
        name=name,
        owner_org=owner,
        region=region(region_code),
        petition_type=PetitionType.objects.get(code=petition_type),
        is_active=is_active,
    )
