"""Reads behind GeoReport: jurisdictions, services (the catalogue), and what the public may see
of service requests.

What GET requests shows (no api_key is asked, so everything here is public):

* which petitions: those published on the message board (any channel: the petitioner consented
  and a moderator approved a redacted copy) and those that came in through Open311 itself, so a
  client can follow what it sent. Confidential accusations (检举控告) never appear, published or
  not (信访工作条例 Art. 30), and other channels' unpublished petitions are not listed at all.
* what of them: the status, the category, the dates, the responsible unit and a generic notice.
  The text — description and the reply as status_notes — is the board's redacted copy and only
  for published items; for the others it is withheld (null). The place is given as the division
  name, and lat/long (rounded to about 100 m) and media_url only for published Open311 items:
  an exact point or a photo may show a home. No petitioner field (name, phone, e-mail, account)
  is ever returned, as the standard itself provides.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from xinfang.board.selectors import published
from xinfang.cases.models import Case, Channel
from xinfang.cases.workflow import (
    OPEN_STATES,
    TERMINAL_STATES,
    CaseStatus,
    CloseReason,
    status_label,
)
from xinfang.catalog.models import Category
from xinfang.catalog.selectors import category_get, petition_type_list
from xinfang.core import refcache
from xinfang.core.errors import Msg
from xinfang.open311 import errors as e
from xinfang.open311.models import Open311Request
from xinfang.orgs.models import Region, RegionLevel
from xinfang.orgs.selectors import region_get

SERVICE_LEVEL = 3  # services are the catalogue's leaves
MAX_RESULTS = 1000  # "90 days or the first 1000 requests, whichever is smallest"
WINDOW = timedelta(days=90)
DESCRIPTION_MAX = 4000
COORDINATE_DIGITS = 3  # about 100 m: the street, not the house

OPEN, CLOSED = "open", "closed"

# The workflow's three stretches, as a client can act on them.
_ROUTING = frozenset(
    {
        CaseStatus.RECEIVED,
        CaseStatus.REGISTERED,
        CaseStatus.FORWARDED,
        CaseStatus.ASSIGNED,
        CaseStatus.OBJECTED,
    }
)
_HANDLING = frozenset(
    {CaseStatus.ACCEPTED, CaseStatus.IN_HANDLING, CaseStatus.EXTENDED, CaseStatus.HEARING}
)
NOTICE_ROUTING = Msg(
    "信访事项正在登记和转送交办，有权处理的机关将书面告知是否受理。",
    "The petition is being registered and routed; the competent organ will say in writing "
    "whether it accepts it.",
)
NOTICE_HANDLING = Msg(
    "信访事项已受理，将在办理期限内出具书面处理意见。",
    "The petition was accepted; a written opinion will be issued within the time limit.",
)
NOTICE_ANSWERED = Msg(
    "已出具处理意见；不服的，可按意见书告知的期限申请复查或复核。",
    "An opinion has been issued; the petitioner may ask for re-examination or review within "
    "the period the opinion states.",
)
NOTICE_RECEIPT = Msg(
    "已收到您的信访事项，编号 {item}，将于 {due} 前登记并转送交办。"
    "凭查询码 {code} 可在网站“办理进度查询”中查看。",
    "Your petition {item} was received and will be registered and routed by {due}. "
    "Follow it on the website with query code {code}.",
)
NOTICE_SECRET = Msg(
    "匿名信访查询密码：{secret}（仅此一次显示，请妥善保存）。",
    "Anonymous tracking secret: {secret} (shown this once only; keep it).",
)
YES_NO = (("true", Msg("是", "Yes")), ("false", Msg("否", "No")))


def jurisdiction_resolve(*, value: str) -> Region | None:
    """The area a jurisdiction_id selects: None for the whole endpoint (absent, or the
    configured domain), a division of the province for its code; anything else is a 404."""
    value = value.strip()
    if not value or value == settings.XINFANG_OPEN311_JURISDICTION:
        return None
    if value.isdigit():
        region = region_get(code=value)
        if region is not None and region.code.startswith(settings.XINFANG_PROVINCE):
            return region
    raise e.Open311Error.one(404, e.JURISDICTION_UNKNOWN, "jurisdiction_id")


# --- services ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str
    keywords: str | None
    group: str


def _keywords(raw: str) -> str | None:
    words = [w for w in re.split(r"[,，、;；\s]+", raw) if w]
    return ", ".join(words) or None


def service_list() -> list[Service]:
    """Every active leaf of the catalogue, grouped by its first-level category. Cached."""

    def load() -> list[Service]:
        leaves = (
            Category.objects.filter(
                level=SERVICE_LEVEL,
                is_active=True,
                parent__is_active=True,
                parent__parent__is_active=True,
            )
            .select_related("parent__parent")
            .order_by("code")
        )
        out = []
        for leaf in leaves:
            mid = leaf.parent
            top = mid.parent if mid else None
            path = [c.name for c in (top, mid, leaf) if c is not None]
            group = top.name if top else leaf.name
            out.append(
                Service(leaf.code, leaf.name, " / ".join(path), _keywords(leaf.keywords), group)
            )
        return out

    return refcache.cached("open311-services", "", load)


def service_get(*, code: str) -> Category | None:
    """The leaf category a service_code names, if it is offered."""
    codes = {s.code for s in service_list()}
    return category_get(code=code) if code in codes else None


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    description: Msg
    order: int
    required: bool = False
    variable: bool = True
    datatype_description: Msg | None = None
    values: tuple[tuple[str, Msg], ...] = ()


ATTR_REGION, ATTR_TYPE, ATTR_ANONYMOUS, ATTR_CONSENT, ATTR_TITLE = (
    "region",
    "petition_type",
    "anonymous",
    "consent_publish",
    "title",
)
ATTR_PRIVACY = "privacy_notice"
# What a client may send as attribute[code] (the notice is for display only).
INPUT_ATTRIBUTES = frozenset({ATTR_REGION, ATTR_TYPE, ATTR_ANONYMOUS, ATTR_CONSENT, ATTR_TITLE})
DEFAULT_PETITION_TYPE = "appeal"


def _region_values() -> tuple[tuple[str, Msg], ...]:
    regions = Region.objects.filter(
        code__startswith=settings.XINFANG_PROVINCE,
        level__in=[RegionLevel.CITY, RegionLevel.COUNTY],
    ).order_by("code")
    return tuple((r.code, Msg(r.full_name, r.full_name)) for r in regions)


_TITLE = Attribute(
    ATTR_TITLE, "string", Msg("标题（可选，4–100 字）。", "Title (optional, 4–100 characters)."), 3
)
_ANONYMOUS = Attribute(
    ATTR_ANONYMOUS,
    "singlevaluelist",
    Msg(
        "匿名反映。未填姓名和电话时视为匿名；匿名件不出具书面答复。",
        "Anonymous. Without a name and phone the petition is anonymous; anonymous "
        "petitions get no written reply.",
    ),
    4,
    values=YES_NO,
)
_CONSENT = Attribute(
    ATTR_CONSENT,
    "singlevaluelist",
    Msg(
        "同意经脱敏审核后在留言板公开诉求和答复。",
        "Consent to publishing the redacted petition and reply on the message board.",
    ),
    5,
    values=YES_NO,
)
_PRIVACY = Attribute(
    ATTR_PRIVACY,
    "string",
    Msg(
        "提交即表示所填内容属实。姓名、电话等个人信息仅用于办理和答复，不会公开。",
        "By submitting you state the facts are true. Names and phone numbers are used only "
        "to handle and answer the petition and are never published.",
    ),
    6,
    variable=False,
)


def service_attributes() -> list[Attribute]:
    """The same questions for every service: where, what kind, whether named and public.
    Cached; the lists follow the regions and petition types tables."""

    def load() -> list[Attribute]:
        types = tuple((t.code, Msg(t.name, t.name_en or t.name)) for t in petition_type_list())
        region = Attribute(
            ATTR_REGION,
            "singlevaluelist",
            Msg(
                "问题属地（市或县）。不填时按 address_string 中的地名确定。",
                "Where the problem is (city or county). If omitted, the place named in "
                "address_string is used.",
            ),
            1,
            values=_region_values(),
        )
        kind = Attribute(
            ATTR_TYPE,
            "singlevaluelist",
            Msg("信访类型，默认为申诉求决。", "Kind of petition; default: complaint or request."),
            2,
            values=types,
        )
        return [region, kind, _TITLE, _ANONYMOUS, _CONSENT, _PRIVACY]

    return refcache.cached("open311-attributes", "", load)


# --- service requests -------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestQuery:
    ids: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    within: Region | None = None


@dataclass(frozen=True)
class RequestView:
    service_request_id: str
    status: str
    status_notes: Msg | None
    service_name: str | None
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: Msg | None
    requested: datetime
    updated: datetime
    expected: datetime | None
    address: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None


def request_window(
    *, start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """The requested_datetime range: the last 90 days by default, never longer than 90 days."""
    if start is None:
        end = end or now
        return end - WINDOW, end
    if end is None:
        end = min(start + WINDOW, max(now, start))
    if start > end or end - start > WINDOW:
        raise e.Open311Error.one(400, e.DATE_RANGE.format(days=WINDOW.days), "start_date")
    return start, end


def _public_cases() -> QuerySet[Case]:
    on_board = Q(pk__in=published().values("case_id"))
    ours = Q(channel=Channel.OPEN311)
    return Case.objects.filter(on_board | ours).exclude(is_confidential_accusation=True)


def request_list(*, query: RequestQuery, now: datetime) -> list[RequestView]:
    qs = _public_cases()
    if query.within is not None:
        qs = qs.filter(region__code__startswith=query.within.prefix)
    if query.ids:
        # The standard: a list of ids overrides every other argument.
        qs = qs.filter(item_number__in=query.ids[:MAX_RESULTS])
    else:
        start, end = request_window(start=query.start, end=query.end, now=now)
        qs = qs.filter(received_at__gte=start, received_at__lte=end)
        if query.codes:
            qs = qs.filter(category__code__in=query.codes)
        if query.statuses:
            states: set[CaseStatus] = set()
            for status in query.statuses:
                states |= OPEN_STATES if status == OPEN else TERMINAL_STATES
            qs = qs.filter(status__in=sorted(states))
    cases = list(
        qs.select_related("category", "lead_org", "register_org", "region").order_by(
            "-received_at", "-id"
        )[:MAX_RESULTS]
    )
    return _views(cases)


def request_get(*, request_id: str, within: Region | None) -> RequestView | None:
    query = RequestQuery(ids=(request_id,), within=within)
    views = request_list(query=query, now=timezone.now())
    return views[0] if views else None


def token_resolve(*, token: str) -> str | None:
    """The service_request_id a POST's token stands for (the petition exists once the token
    is handed out, so there is no pending state)."""
    row = Open311Request.objects.filter(token=token).select_related("case").first()
    return row.case.item_number if row else None


def _views(cases: Sequence[Case]) -> list[RequestView]:
    ids = [c.pk for c in cases]
    board = {
        row["case_id"]: row
        for row in published()
        .filter(case_id__in=ids)
        .values("case_id", "title", "content", "reply", "is_replied")
    }
    delivered = {
        row["case_id"]: row
        for row in Open311Request.objects.filter(case_id__in=ids).values(
            "case_id", "lat", "long", "media_url"
        )
    }
    return [_view(c, board.get(c.pk), delivered.get(c.pk)) for c in cases]


def _view(
    case: Case, board: Mapping[str, Any] | None, delivered: Mapping[str, Any] | None
) -> RequestView:
    status = CaseStatus(case.status)
    closed = status in TERMINAL_STATES
    unit = case.lead_org or case.register_org
    view = RequestView(
        service_request_id=case.item_number,
        status=CLOSED if closed else OPEN,
        status_notes=_status_notes(case, board),
        service_name=case.category.name if case.category else None,
        service_code=case.category.code if case.category else "",
        description=None,
        agency_responsible=unit.name if unit else None,
        service_notice=_notice(status),
        requested=case.received_at,
        updated=case.status_changed_at,
        expected=None if closed else case.due_at,
    )
    if board is None:
        return view
    text = "\n\n".join(p for p in (board["title"], board["content"]) if p)
    public: dict[str, Any] = {
        "description": text[:DESCRIPTION_MAX],
        "address": case.region.full_name,
    }
    if delivered is not None:
        public["media_url"] = delivered["media_url"] or None
        for axis in ("lat", "long"):
            value = delivered[axis]
            public[axis] = round(value, COORDINATE_DIGITS) if value is not None else None
    return replace(view, **public)


def _status_notes(case: Case, board: Mapping[str, Any] | None) -> Msg:
    if board is not None and board["is_replied"] and board["reply"]:
        reply = str(board["reply"])[:DESCRIPTION_MAX]
        return Msg(reply, reply)
    label = status_label(CaseStatus(case.status))
    if case.close_reason:
        reason = status_label(CloseReason(case.close_reason))
        return Msg(f"{label.zh}：{reason.zh}", f"{label.en}: {reason.en}")
    return label


def _notice(status: CaseStatus) -> Msg | None:
    if status in _ROUTING:
        return NOTICE_ROUTING
    if status in _HANDLING:
        return NOTICE_HANDLING
    if status in OPEN_STATES:
        return NOTICE_ANSWERED
    return None


def receipt_notice(*, case: Case, secret: str = "") -> Msg:
    """service_notice of a POST answer: the item number, the routing deadline, how to follow."""
    due = timezone.localtime(case.due_at).date().isoformat() if case.due_at else ""
    notice = NOTICE_RECEIPT.format(item=case.item_number, due=due, code=case.query_code)
    if secret:
        extra = NOTICE_SECRET.format(secret=secret)
        notice = Msg(notice.zh + extra.zh, f"{notice.en} {extra.en}")
    return notice
