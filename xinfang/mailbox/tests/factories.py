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
) -> Mailbox:
    """A mailbox owned by a government office of `region_code` (not the bureau that registers
    its petitions, which tests create themselves)."""
    owner = make_org(kind=OrgKind.GOVERNMENT, region_code=region_code, name=f"{name}办公室")
    return Mailbox.objects.create(
        address=address,
        name=name,
        owner_org=owner,
        region=region(region_code),
        petition_type=PetitionType.objects.get(code=petition_type),
        is_active=is_active,
    )
