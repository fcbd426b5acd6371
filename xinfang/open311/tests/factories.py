"""API keys, deliveries and published rows for the Open311 tests."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from xinfang.board.models import Publication, PublicationStatus
from xinfang.cases.models import Case
from xinfang.open311.selectors import service_list
from xinfang.open311.services import IssuedKey, api_key_issue
from xinfang.orgs.models import Region

BASE = "/open311/v2"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
DESCRIPTION = "五一大道人行道路面塌陷，存在安全隐患，请尽快修复。"
PHONE = "13907311234"


def make_key(*, region: Region | None = None, returns_token: bool = False) -> IssuedKey:
    return api_key_issue(owner="测试客户端", region=region, returns_token=returns_token)


def service_code(group: str = "城乡建设") -> str:
    return next(s.code for s in service_list() if s.group == group)


def delivery(key: str, **overrides: Any) -> dict[str, str]:
    """A full POST requests body, as the standard's example has it."""
    data = {
        "api_key": key,
        "service_code": service_code(),
        "lat": "28.19563",
        "long": "112.98227",
        "address_string": "五一大道 1 号，芙蓉区，长沙市",
        "email": "liming@example.com",
        "device_id": "device-1",
        "account_id": "account-1",
        "first_name": "明",
        "last_name": "李",
        "phone": PHONE,
        "description": DESCRIPTION,
        "media_url": "https://media.example.com/1.jpg",
        "attribute[consent_publish]": "true",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def publish(case: Case, *, content: str, reply: str = "", title: str = "路面塌陷") -> Publication:
    """The board's approved, redacted copy, written directly (the board tests its pipeline)."""
    now = timezone.now()
    return Publication.objects.create(
        case=case,
        status=PublicationStatus.PUBLISHED,
        region_code=case.region.code,
        title=title,
        content=content,
        reply=reply,
        is_replied=bool(reply),
        received_at=case.received_at,
        replied_at=now if reply else None,
        published_at=now,
    )
