"""Citizen tracking: query code + second factor, with throttled failures."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from xinfang.cases.models import Case
from xinfang.cases.selectors import (
    case_get_by_query_code,
    case_main_petitioner,
    case_public_timeline,
    query_code_normalize,
)
from xinfang.cases.services import secret_digest
from xinfang.cases.workflow import CaseStatus, CloseReason, status_label
from xinfang.core import crypto
from xinfang.core.errors import ApplicationError, Msg
from xinfang.documents.models import Document
from xinfang.documents.selectors import document_list_for_case
from xinfang.handling.evaluation import petitioner_actions
from xinfang.tracking.models import TrackFailure

NOT_FOUND = Msg("查询码或验证信息不正确。", "The query code or the verification is not correct.")
THROTTLED = Msg(
    "验证失败次数过多，请 {minutes} 分钟后再试。",
    "Too many failed attempts; try again in {minutes} minutes.",
)


class TrackingThrottled(ApplicationError):
    code = "throttled"
    http_status = 429


class TrackingNotFound(ApplicationError):
    code = "not_found"
    http_status = 404


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    status: str
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class MergedInto:
    """The item a merged petition (并单) is handled with: its number and progress only — its
    documents are addressed to another petitioner."""

    item_number: str
    status_zh: str
    status_en: str
    due_at: datetime | None


@dataclass(frozen=True)
class TrackView:
    case: Case
    status_zh: str
    status_en: str
    timeline: list[TimelineEntry]
    actions: list[str] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    merged_into: MergedInto | None = None


def _digests(query_code: str, client: str) -> tuple[str, str]:
    # Normalised as the look-up does, or "ABCDE-FGHIJ" would be throttled apart from "ABCDEFGHIJ".
    code = crypto.blind_index(query_code_normalize(query_code), context="track.code")
    return code, crypto.blind_index(client, context="track.client")


def _throttled(code_digest: str, client_digest: str) -> bool:
    since = timezone.now() - timedelta(seconds=settings.XINFANG_TRACK_WINDOW_SECONDS)
    limit = settings.XINFANG_TRACK_MAX_FAILURES
    recent = TrackFailure.objects.filter(created_at__gte=since)
    if recent.filter(code_digest=code_digest).count() >= limit:
        return True
    # A client may mistype a few codes, but not scan the code space.
    return recent.filter(client_digest=client_digest).count() >= limit * 4


def _factor_ok(case: Case, factor: str) -> bool:
    factor = factor.strip().upper()
    if not factor:
        return False
    if case.track_secret_digest:
        expected = secret_digest(query_code=case.query_code, secret=factor)
        return hmac.compare_digest(expected, case.track_secret_digest)
    person = case_main_petitioner(case=case)
    phone = person.phone if person else ""
    return len(factor) == 4 and len(phone) >= 4 and hmac.compare_digest(phone[-4:], factor)


def track_lookup(*, query_code: str, factor: str, client: str) -> TrackView:
    """The public view of one petition, if the second factor matches; failures are counted.

    A wrong code and a wrong factor give the same answer, so the endpoint does not reveal
    which query codes exist.
    """
    code_digest, client_digest = _digests(query_code, client)
    if _throttled(code_digest, client_digest):
        minutes = settings.XINFANG_TRACK_WINDOW_SECONDS // 60
        raise TrackingThrottled(THROTTLED.format(minutes=minutes))
    case = case_get_by_query_code(query_code=query_code)
    if case is None or not _factor_ok(case, factor):
        TrackFailure.objects.create(code_digest=code_digest, client_digest=client_digest)
        raise TrackingNotFound(NOT_FOUND)
    return track_view(case=case)


def track_view(*, case: Case) -> TrackView:
    """What a verified petitioner sees: status, public timeline, documents, what they may do."""
    entries = []
    for event in case_public_timeline(case=case):
        if event.to_status:
            label = status_label(CaseStatus(event.to_status))
            entries.append(TimelineEntry(event.created_at, event.to_status, label.zh, label.en))
    current = status_label(CaseStatus(case.status))
    return TrackView(
        case=case,
        status_zh=current.zh,
        status_en=current.en,
        timeline=entries,
        actions=petitioner_actions(case=case),
        documents=list(document_list_for_case(case=case, public_only=True)),
        merged_into=_merged_into(case),
    )


def _merged_into(case: Case) -> MergedInto | None:
    if case.close_reason != CloseReason.MERGED or case.group_root_id is None:
        return None
    root = Case.objects.only("item_number", "status", "due_at").get(pk=case.group_root_id)
    label = status_label(CaseStatus(root.status))
    return MergedInto(root.item_number, label.zh, label.en, root.due_at)
