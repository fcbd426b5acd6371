"""Published board rows for tests, written directly (the approval pipeline has its own
tests): the case comes through the real intake path, the words as approval segments them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from xinfang.board.models import Publication, PublicationStatus
from xinfang.cases.tests.factories import make_case
from xinfang.orgs.models import Org, OrgKind
from xinfang.orgs.tests.factories import make_bureau
from xinfang.triage.models import TextSignature
from xinfang.triage.services import text_signature_store
from xinfang.triage.textnorm import petition_text, tokenize


def search_text(title: str, content: str, reply: str = "") -> str:
    return " ".join(tokenize(f"{title} {content} {reply}"))


def ensure_bureau(region_code: str = "430100") -> None:
    """Intake needs a petition bureau over the region; the city's covers its counties."""
    if not Org.objects.filter(kind=OrgKind.PETITION_BUREAU, region__code=region_code).exists():
        make_bureau(region_code)


def make_publication(
    *,
    title: str = "小区夜间施工噪音扰民",
    content: str = "某工地每晚十点后仍在施工，噪音很大，请有关部门查处。",
    reply: str = "",
    region_code: str = "430102",
    status: str = PublicationStatus.PUBLISHED,
    published_at: datetime | None = None,
    unit: Org | None = None,
    **fields: Any,
) -> Publication:
    ensure_bureau(region_code[:4] + "00")
    case = make_case(title=title, content=content, region_code=region_code)
    # Triage signs every case's text; sign it here too in case the job has not run.
    if not TextSignature.objects.filter(case_id=case.pk).exists():
        text_signature_store(case_id=case.pk, text=petition_text(title, content))
    now = timezone.now()
    replied = bool(reply)
    values: dict[str, Any] = {
        "case": case,
        "status": status,
        "region_code": region_code,
        "unit": unit,
        "title": title,
        "content": content,
        "reply": reply,
        "is_replied": replied,
        "received_at": case.received_at,
        "replied_at": case.received_at + timedelta(days=3) if replied else None,
        "published_at": published_at or now,
        "search_text": search_text(title, content, reply),
    }
    values.update(fields)
    return Publication.objects.create(**values)
