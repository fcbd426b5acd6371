"""Petitions made through the real intake path (validation included)."""

from __future__ import annotations

from typing import Any

from xinfang.cases.models import Case, Channel
from xinfang.intake.services import petition_submit

VALID_PHONE = "13907311234"
VALID_ID = "430102199003071234"


def petition_payload(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "小区夜间施工噪音扰民",
        "content": "某工地每晚十点后仍在施工，噪音很大，请有关部门查处。",
        "petition_type": "appeal",
        "region_code": "430102",
        "petitioner": {"name": "李明", "phone": VALID_PHONE},
        "anonymous": False,
        "consent_publish": True,
    }
    data.update(overrides)
    return data


def make_case(**overrides: Any) -> Case:
    """A RECEIVED case; needs a petition bureau covering the region to exist."""
    return petition_submit(channel=Channel.API, data=petition_payload(**overrides)).case
