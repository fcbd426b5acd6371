"""The legal steps of handling a petition (DOMAIN.md §2, §4.2), one service per step.

Each step validates its input, moves the case through `cases.services.case_transition` (the one
writer of status, which also starts and stops the clocks the step implies), grants the units
their access, and issues the step's document — all in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from xinfang.cases.clocks import (
    ClockChange,
    ClockExtend,
    ClockPause,
    ClockStart,
    ClockStop,
    clocks_apply,
)
from xinfang.cases.models import (
    AccessRelation,
    Case,
    CaseAccess,
    CaseRequest,
    Channel,
    ClockKind,
    EventKind,
    Outcome,
    RequestKind,
    RequestStatus,
)
from xinfang.cases.selectors import case_acting_org
from xinfang.cases.services import InvalidTransition, case_event_append, case_transition
from xinfang.cases.workflow import NOT_ACCEPT_RULES, Actor, CaseStatus, CloseReason
from xinfang.catalog.models import Category
from xinfang.core.errors import ApplicationError, FieldErrors, Msg
from xinfang.core.trees import ancestors
from xinfang.documents.choices import DocumentKind, ReviewOutcome
from xinfang.documents.models import Document
from xinfang.documents.services import document_issue, document_serve
from xinfang.handling.guards import recusal_guard, routing_guard
from xinfang.handling.models import AlertKind, StaffAlert
from xinfang.handling.supervision import alert
from xinfang.orgs.models import Org, OrgKind, Region, User
from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import org_nearest, staff_scope

S = CaseStatus
# What acceptance ends; a new forwarding also ends the report clock of the previous one.
SIGNING_CLOCKS = frozenset(
    {ClockKind.ROUTE, ClockKind.NOTICE, ClockKind.OBJECTION, ClockKind.OBJECTION_DECIDE}
)
ROUTING_CLOCKS = SIGNING_CLOCKS | {ClockKind.REPORT}
HANDLING_STATES = frozenset({S.ACCEPTED, S.IN_HANDLING, S.EXTENDED})


def _required(**values: Any) -> None:
    """FieldErrors naming every empty value at once."""
    missing = {
        k: [Msg("此项必填。", "This field is required.")] for k, v in values.items() if not v
    }
    if missing:
        raise FieldErrors(missing)


def _issue(
    case: Case, kind: DocumentKind, org: Org, actor: User | None, fields: Mapping[str, Any]
) -> Document:
    doc = document_issue(case=case, kind=kind, org=org, actor=actor, fields=fields)
    case_event_append(
        case=case,
        kind=EventKind.DOCUMENT,
        actor=actor,
        actor_org=org,
        payload={"document": doc.pk, "kind": kind, "number": doc.number},
        public=doc.is_public,
    )
    return doc


def _grant(case: Case, org: Org, relation: AccessRelation) -> None:
    CaseAccess.objects.update_or_create(
        case=case, org=org, relation=relation, defaults={"is_active": True}
    )


def _revoke(case: Case, relation: AccessRelation) -> None:
    CaseAccess.objects.filter(case=case, relation=relation, is_active=True).update(is_active=False)


def _acting(case: Case) -> Org:
    """The unit the last staff event on this case acted for (set by case_transition)."""
    event = case.events.filter(actor_org__isnull=False).order_by("-pk").first()
    return event.actor_org if event and event.actor_org else case.register_org


# --- registration and routing (T2–T10, T25) ------------------------------------------------


@transaction.atomic
def case_forward(
    *,
    case: Case,
    actor: User,
    to_org: Org,
    co_orgs: Sequence[Org] = (),
    assign: bool = False,
    report_due: datetime | None = None,
    reason: str = "",
    override_reason: str = "",
) -> Case:
    """转送 (or 交办 with a result-report due date) to the competent organ (Art. 22)."""
    if assign and report_due is None:
        _required(report_due=None)
    if report_due is not None and report_due <= timezone.now():
        raise FieldErrors(
            {"report_due": [Msg("办结报告期限须晚于今天。", "The report is due after today.")]}
        )
    if to_org.pk in {o.pk for o in co_orgs}:
        raise FieldErrors(
            {"co_orgs": [Msg("协办单位不能与主办单位相同。", "A co-handler cannot be the lead.")]}
        )
    # Only a discipline-inspection unit may override the whistleblower guard, with a reason.
    acting = case_acting_org(
        case=case, scope=staff_scope(user=actor), perms=frozenset({Perm.CASE_ROUTE})
    )
    for org in (to_org, *co_orgs):
        routing_guard(case=case, target=org, actor_org=acting, override_reason=override_reason)
    clocks: list[ClockChange] = [
        ClockStop(ROUTING_CLOCKS),
        ClockStart(ClockKind.NOTICE, profile="notice-15d", org=to_org),
        ClockStart(ClockKind.OBJECTION, profile="objection-5wd", org=to_org),
    ]
    if assign and report_due is not None:
        clocks.append(ClockStart(ClockKind.REPORT, due_at=report_due, org=to_org))
    case = case_transition(
        case=case,
        to=S.ASSIGNED if assign else S.FORWARDED,
        actor=actor,
        reason=reason,
        updates={"holder_org": to_org, "lead_org": to_org},
        clocks=clocks,
        payload={
            "to_org": to_org.pk,
            "to_org_name": to_org.name,
            "co_orgs": [o.pk for o in co_orgs],
        },
    )
    # The case leaves its former lead, co- and sub-units (退单 agreed, 改派, passed on down);
    # the unit that forwarded it keeps following it.
    for relation in (AccessRelation.LEAD, AccessRelation.CO, AccessRelation.SUB):
        _revoke(case, relation)
    acting = _acting(case)
    if acting.pk != case.register_org_id:
        _grant(case, acting, AccessRelation.FORWARD)
    _grant(case, to_org, AccessRelation.LEAD)
    for org in co_orgs:
        _grant(case, org, AccessRelation.CO)
    for org in (to_org, *co_orgs):
        alert(
            org=org,
            case=case,
            kind=AlertKind.ASSIGNMENT,
            text=f"{'交办' if assign else '转送'}：{case.item_number} {case.title}",
        )
    if assign:
        _issue(
            case,
            DocumentKind.ASSIGN_NOTICE,
            acting,
            actor,
            {"target_org_name": to_org.name, "due": report_due, "requirements": reason},
        )
    elif not case.is_anonymous:
        _issue(case, DocumentKind.FORWARD_NOTICE, acting, actor, {"target_org_name": to_org.name})
    return case


@transaction.atomic
def case_object(*, case: Case, actor: User, reason: str, suggested_org: Org | None) -> Case:
    """异议/退单: the receiving organ says the item is not its remit, within 5 working days
    of receipt and with detailed reasons (Art. 23 ¶3)."""
    _required(reason=reason.strip())
    window = case.clocks.filter(kind=ClockKind.OBJECTION, stopped_at__isnull=True).first()
    if window is None or window.due_at < timezone.now():
        raise ApplicationError(
            Msg(
                "已超过5个工作日的异议期限，应当受理办理。",
                "The 5-working-day objection period has passed; the unit must handle it.",
            ),
            code="objection_late",
        )
    forwarder = _forwarder(case)
    return case_transition(
        case=case,
        to=S.OBJECTED,
        actor=actor,
        reason=reason,
        updates={"holder_org": forwarder},
        # The forwarding bureau now owes a decision on the objection (T10).
        clocks=[
            ClockStop(frozenset({ClockKind.NOTICE, ClockKind.OBJECTION})),
            ClockStart(ClockKind.OBJECTION_DECIDE, profile="objection-decide-3wd", org=forwarder),
        ],
        payload={
            "suggested_org": suggested_org.pk if suggested_org else None,
            "suggested_org_name": suggested_org.name if suggested_org else "",
            "previous_status": case.status,
        },
    )


def _forwarder(case: Case) -> Org:
    access = case.access.filter(relation=AccessRelation.FORWARD, is_active=True).first()
    return access.org if access else case.register_org


@transaction.atomic
def case_objection_decide(
    *, case: Case, actor: User, agree: bool, new_org: Org | None = None, reason: str = ""
) -> Case:
    """The forwarding bureau agrees (re-route to `new_org`) or rejects the objection, in which
    case the unit must handle it and its clock runs on from the original forwarding (W9)."""
    if agree:
        if new_org is None:
            _required(new_org=None)
        assert new_org is not None  # noqa: S101 — checked just above
        assigned = case.events.filter(kind=EventKind.STATUS, to_status=S.ASSIGNED).exists()
        report = case.clocks.filter(kind=ClockKind.REPORT).order_by("-pk").first()
        return case_forward(
            case=case,
            actor=actor,
            to_org=new_org,
            assign=assigned,
            report_due=report.due_at if report else None,
            reason=reason,
        )
    _required(reason=reason.strip())
    objected = case.events.filter(kind=EventKind.STATUS, to_status=S.OBJECTED).last()
    back_to = S(objected.from_status) if objected else S.FORWARDED
    notice = case.clocks.filter(kind=ClockKind.NOTICE).order_by("-pk").first()
    clocks: list[ClockChange] = [ClockStop(frozenset({ClockKind.OBJECTION_DECIDE}))]
    if notice:
        clocks.append(ClockStart(ClockKind.NOTICE, due_at=notice.due_at, org=case.lead_org))
    return case_transition(
        case=case,
        to=back_to,
        actor=actor,
        reason=reason,
        updates={"holder_org": case.lead_org},
        clocks=clocks,
        payload={"objection": "rejected"},
    )


@transaction.atomic
def case_not_accept(
    *,
    case: Case,
    actor: User,
    outcome: CaseStatus,
    reason: str,
    rule: str,
    channel: str = "",
    target_org_name: str = "",
    repeat_of: Case | None = None,
) -> Case:
    """T5–T7: told to go to the competent organ, diverted to a statutory procedure (诉访分离,
    with its channel), or not accepted as a repeat (with the earlier item) — always with the
    rule (reason code) that applies."""
    kinds = {
        S.NOTIFIED_REDIRECT: (DocumentKind.REDIRECT_NOTICE, {"target_org_name": target_org_name}),
        S.DIVERTED: (DocumentKind.DIVERT_NOTICE, {"channel": channel}),
        S.NOT_ACCEPTED_REPEAT: (DocumentKind.NOT_ACCEPTED_NOTICE, {}),
    }
    if outcome not in kinds:
        raise FieldErrors({"outcome": [Msg("无效的处理方式。", "Invalid outcome.")]})
    doc_kind, extra = kinds[outcome]
    _required(reason=reason.strip(), rule=rule, **extra)
    if rule not in NOT_ACCEPT_RULES[outcome]:
        raise FieldErrors(
            {
                "rule": [
                    Msg(
                        "该理由不适用于所选处理方式。", "This rule does not fit the chosen outcome."
                    )
                ]
            }
        )
    if outcome == S.NOT_ACCEPTED_REPEAT and repeat_of is None:
        _required(repeat_of=None)
    case = case_transition(
        case=case,
        to=outcome,
        actor=actor,
        reason=reason,
        updates={"holder_org": None, "repeat_of": repeat_of},
        payload={
            "rule": rule,
            "channel": channel,
            "target_org_name": target_org_name,
            "repeat_of": repeat_of.item_number if repeat_of else "",
        },
    )
    if not case.is_anonymous:  # N8: no notice duty when name or address is unknown
        fields = {"reason": reason, **extra}
        if repeat_of is not None:
            fields["earlier_item_number"] = repeat_of.item_number
        _issue(case, doc_kind, _acting(case), actor, fields)
    return case


@transaction.atomic
def case_accused_set(*, case: Case, actor: User, org: Org) -> Case:
    """The registrar records which unit a petition complains about (被反映单位), as a unit of
    the tree, so the whistleblower and recusal guards can act on it."""
    if case.status not in (S.RECEIVED, S.REGISTERED):
        raise InvalidTransition(Msg("只能在登记阶段确定被反映单位。", "Only while registering."))
    Case.objects.filter(pk=case.pk).update(
        accused_org=org, accused_unit=case.accused_unit or org.name
    )
    case.accused_org = org
    case_event_append(
        case=case,
        kind=EventKind.NOTE,
        actor=actor,
        actor_org=_acting(case),
        payload={"accused_org": org.pk, "accused_org_name": org.name},
    )
    return case


@transaction.atomic
def case_classify(
    *, case: Case, actor: User, category: Category, region: Region | None = None
) -> Case:
    """The registrar confirms or corrects the content category (and the place) — T2's
    classification. What triage proposed and what was chosen are both kept on the event, so
    confirmations and corrections become training data."""
    if case.status not in (S.RECEIVED, S.REGISTERED):
        raise InvalidTransition(Msg("只能在登记阶段分类。", "Only while registering."))
    if region is not None and not region.code.startswith(case.region.code[:2]):
        raise FieldErrors({"region": [Msg("属地须在本省范围内。", "Within this province.")]})
    triage = case.events.filter(kind=EventKind.TRIAGE).order_by("-pk").first()
    suggested = triage.payload.get("category", {}).get("label", "") if triage else ""
    top = ancestors(category)[-1]
    updates: dict[str, Any] = {"category": category}
    if region is not None:
        updates["region"] = region
    Case.objects.filter(pk=case.pk).update(**updates)
    for name, value in updates.items():
        setattr(case, name, value)
    case_event_append(
        case=case,
        kind=EventKind.NOTE,
        actor=actor,
        actor_org=_acting(case),
        payload={
            "classified": category.code,
            "first_level": top.name,
            "suggested": suggested,
            "accepted": bool(suggested) and suggested == top.name,
            "region": region.code if region else "",
        },
    )
    return case


@transaction.atomic
def case_repeat_link(*, case: Case, actor: User, earlier: Case) -> Case:
    """R-REP-1: record that this petition repeats an earlier one (重复信访). It is still an
    ordinary new item, but the earlier item's first handler stays responsible (首办责任制)."""
    if earlier.pk == case.pk or earlier.repeat_of_id == case.pk:
        raise FieldErrors({"earlier": [Msg("不能关联自身。", "A case cannot repeat itself.")]})
    updates: dict[str, Any] = {"repeat_of": earlier}
    if case.first_handler_org_id is None and earlier.first_handler_org_id is not None:
        updates |= {
            "first_handler_org": earlier.first_handler_org,
            "first_handler": earlier.first_handler,
        }
    Case.objects.filter(pk=case.pk).update(**updates)
    for name, value in updates.items():
        setattr(case, name, value)
    case_event_append(
        case=case,
        kind=EventKind.NOTE,
        actor=actor,
        actor_org=_acting(case),
        payload={"repeat_of": earlier.item_number},
    )
    return case


@transaction.atomic
def case_transfer_accusation(*, case: Case, actor: User, to_org: Org, reason: str = "") -> Case:
    """T25: an accusation goes to discipline inspection; the 信访 side tracks the transfer."""
    if to_org.kind != OrgKind.DISCIPLINE:
        raise FieldErrors(
            {
                "to_org": [
                    Msg(
                        "检举控告件应移交纪检监察机关。", "Accusations go to discipline inspection."
                    )
                ]
            }
        )
    case = case_transition(
        case=case,
        to=S.CLOSED,
        actor=actor,
        reason=reason,
        close_reason=CloseReason.ACCUSATION_TRANSFERRED,
        updates={"holder_org": None, "lead_org": to_org},
        payload={"to_org": to_org.pk, "to_org_name": to_org.name},
    )
    _grant(case, to_org, AccessRelation.LEAD)
    return case


# --- acceptance and handling (T4, T8, T11–T14) ----------------------------------------------


@transaction.atomic
def case_accept(*, case: Case, actor: User, handler: User | None = None) -> Case:
    """签收并受理: the competent organ accepts; the handling clock starts (Art. 23, 34).

    The first unit and person to accept become the first handler (首办责任制) unless the case
    repeats an earlier one, whose first handler it keeps.
    """
    handler = handler or actor
    recusal_guard(case=case, handler=handler)
    first_org, first_user = _first_handler(case)
    profile = "fast-10wd" if case.is_fast_track else _handling_profile(case)
    lead = case.lead_org if case.status != S.REGISTERED else None
    case = case_transition(
        case=case,
        to=S.ACCEPTED,
        actor=actor,
        updates={"accepted_at": timezone.now(), "handler": handler},
        # The 交办 report clock keeps running: the assigner's due date binds until it is met.
        clocks=[ClockStop(SIGNING_CLOCKS), ClockStart(ClockKind.HANDLE, profile=profile)],
    )
    org = lead or _acting(case)
    updates: dict[str, Any] = {"holder_org": org, "lead_org": org}
    if first_org is None:
        updates |= {"first_handler_org": org, "first_handler": handler}
    else:
        updates |= {"first_handler_org": first_org, "first_handler": first_user}
    Case.objects.filter(pk=case.pk).update(**updates)
    case.clocks.filter(kind=ClockKind.HANDLE, stopped_at__isnull=True).update(org=org)
    for name, value in updates.items():
        setattr(case, name, value)
    if not case.is_anonymous:
        days = case.clocks.filter(kind=ClockKind.HANDLE).values_list("profile__amount", flat=True)
        fields = {"handling_days": days[0]} if profile != "fast-10wd" and days else {}
        _issue(case, DocumentKind.RECEIPT_NOTICE, org, actor, fields)
    return case


def _first_handler(case: Case) -> tuple[Org | None, User | None]:
    if case.first_handler_org is not None:
        return case.first_handler_org, case.first_handler
    earlier = case.repeat_of
    if earlier is not None and earlier.first_handler_org is not None:
        return earlier.first_handler_org, earlier.first_handler
    return None, None


def _handling_profile(case: Case) -> str:
    profile = case.petition_type.handling_profile
    return profile.code if profile else "handle-60d"


def case_start(*, case: Case, actor: User) -> Case:
    """T11 (and back from a hearing): the handler starts investigating."""
    return case_transition(case=case, to=S.IN_HANDLING, actor=actor)


@transaction.atomic
def case_handler_assign(*, case: Case, actor: User, handler: User) -> Case:
    """Name the person who handles the case inside the lead unit, after the recusal check."""
    recusal_guard(case=case, handler=handler)
    if case.status not in HANDLING_STATES | {S.HEARING}:
        raise InvalidTransition(Msg("当前状态不能指定承办人。", "A handler cannot be set now."))
    Case.objects.filter(pk=case.pk).update(handler=handler)
    case.handler = handler
    case_event_append(
        case=case,
        kind=EventKind.NOTE,
        actor=actor,
        payload={"handler": handler.pk, "handler_name": handler.full_name},
    )
    return case


@transaction.atomic
def case_subdispatch(*, case: Case, actor: User, to_org: Org, note: str = "") -> Case:
    """二级派单: the lead unit involves a unit below it; the lead stays accountable."""
    lead = case.lead_org
    if lead is None or case.status not in HANDLING_STATES:
        raise InvalidTransition(Msg("当前状态不能转派。", "The case cannot be sub-dispatched now."))
    if not (to_org.path.startswith(lead.path) and to_org.pk != lead.pk):
        raise FieldErrors(
            {"to_org": [Msg("只能转派给本单位的下级单位。", "Only a unit below the lead unit.")]}
        )
    routing_guard(case=case, target=to_org, actor_org=None, override_reason="")
    _grant(case, to_org, AccessRelation.SUB)
    case_event_append(
        case=case,
        kind=EventKind.ACCESS,
        actor=actor,
        actor_org=lead,
        reason=note,
        payload={"sub_org": to_org.pk, "sub_org_name": to_org.name},
    )
    return case


def case_hearing(*, case: Case, actor: User, start: bool, note: str = "") -> Case:
    """T13: a hearing for a major or complex item (the handling clock keeps running)."""
    return case_transition(
        case=case, to=S.HEARING if start else S.IN_HANDLING, actor=actor, reason=note
    )


@transaction.atomic
def case_request(
    *, case: Case, actor: User, kind: RequestKind, fields: Mapping[str, Any]
) -> CaseRequest:
    """The handler asks the unit head: an extension (days, reason) or the draft reply."""
    if case.status not in HANDLING_STATES:
        raise InvalidTransition(
            Msg("当前状态不能提交此申请。", "This request is not possible now.")
        )
    if kind == RequestKind.EXTENSION:
        _check_extension(case, fields)
    else:
        _check_reply(fields)
    if case.requests.filter(kind=kind, status=RequestStatus.PENDING).exists():
        raise InvalidTransition(Msg("已有待审批的同类申请。", "A request of this kind is pending."))
    org = case.lead_org or case.register_org
    try:
        with transaction.atomic():
            request = _request_create(case, actor, kind, org, fields)
    except IntegrityError:  # the same request filed twice at once: one is pending already
        raise InvalidTransition(
            Msg("已有待审批的同类申请。", "A request of this kind is pending.")
        ) from None
    alert(
        org=org,
        case=case,
        kind=AlertKind.APPROVAL,
        text=f"待审批{RequestKind(kind).label}：{case.item_number}",
    )
    case_event_append(
        case=case,
        kind=EventKind.REQUEST,
        actor=actor,
        actor_org=org,
        payload={"request": request.pk, "kind": kind},
    )
    return request


def _request_create(
    case: Case, actor: User, kind: RequestKind, org: Org, fields: Mapping[str, Any]
) -> CaseRequest:
    return CaseRequest.objects.create(
        case=case,
        kind=kind,
        org=org,
        fields=dict(fields),
        requested_by=actor,
        requested_at=timezone.now(),
    )


def _check_extension(case: Case, fields: Mapping[str, Any]) -> None:
    _required(reason=str(fields.get("reason", "")).strip(), days=fields.get("days"))
    if case.status == S.EXTENDED:
        raise InvalidTransition(Msg("已延期一次，不能再次延期。", "The case was already extended."))
    if case.status != S.IN_HANDLING:
        raise InvalidTransition(Msg("办理中的信访件才能申请延期。", "Only cases in handling."))
    if case.due_at is not None and case.due_at < timezone.now():
        raise InvalidTransition(
            Msg(
                "办理期限已过，不能再申请延期（应在期限届满前申请）。",
                "The period has run out; extensions are asked for before it does.",
            )
        )
    days = int(fields["days"])
    if not 1 <= days <= settings.XINFANG_MAX_EXTENSION_DAYS:
        raise FieldErrors(
            {
                "days": [
                    Msg("延期天数须为 1 至 {n} 天。", "Days must be 1–{n}.").format(
                        n=settings.XINFANG_MAX_EXTENSION_DAYS
                    )
                ]
            }
        )


REPLY_FIELDS = ("request", "facts", "reasons", "outcome", "legal_basis")


def _check_reply(fields: Mapping[str, Any], outcomes: Sequence[str] = Outcome.values) -> None:
    _required(**{name: str(fields.get(name, "")).strip() for name in REPLY_FIELDS})
    if fields["outcome"] not in outcomes:
        raise FieldErrors({"outcome": [Msg("请选择处理结果。", "Choose an outcome.")]})


@transaction.atomic
def case_request_decide(
    *, request: CaseRequest, actor: User, approve: bool, note: str = ""
) -> CaseRequest:
    """The unit head approves or returns a pending request; approval makes the move."""
    # The unit's "awaiting approval" alert is done with, whichever way it is decided.
    StaffAlert.objects.filter(
        case_id=request.case_id, kind=AlertKind.APPROVAL, read_at__isnull=True
    ).update(read_at=timezone.now())
    claimed = CaseRequest.objects.filter(pk=request.pk, status=RequestStatus.PENDING).update(
        status=RequestStatus.APPROVED if approve else RequestStatus.REJECTED,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_note=note,
    )
    if not claimed:
        raise InvalidTransition(Msg("该申请已被处理。", "The request was already decided."))
    request.refresh_from_db()
    case = Case.objects.select_related("petition_type", "region").get(pk=request.case_id)
    if not approve:
        _required(note=note.strip())
        case_event_append(
            case=case,
            kind=EventKind.DECISION,
            actor=actor,
            reason=note,
            payload={"request": request.pk, "approved": False},
        )
        return request
    if request.kind == RequestKind.EXTENSION:
        _extend(case, actor, request)
    else:
        _issue_opinion(case, actor, request.fields)
    return request


def _extend(case: Case, actor: User, request: CaseRequest) -> None:
    days, reason = int(request.fields["days"]), str(request.fields["reason"])
    case = case_transition(
        case=case,
        to=S.EXTENDED,
        actor=actor,
        reason=reason,
        clocks=[ClockExtend(ClockKind.HANDLE, days)],
        payload={"request": request.pk, "days": days},
    )
    if not case.is_anonymous:  # the petitioner must be told the reason (Art. 34)
        _issue(
            case,
            DocumentKind.EXTENSION_NOTICE,
            case.lead_org or case.register_org,
            actor,
            {"reason": reason, "new_due": case.due_at},
        )


def remedy_org(*, org: Org) -> Org | None:
    """The organ one level up from `org` in the unit tree (复查/复核, Arts. 35–36): its parent
    unit, else the people's government of the region above."""
    if org.parent_id is not None:
        return Org.objects.get(pk=org.parent_id)
    region = org.region.parent
    return org_nearest(kind=OrgKind.GOVERNMENT, region=region) if region else None


# Channels whose petitioners receive the reply online the moment it is issued; letters,
# visits and calls are answered on paper, and the 复查/复核 windows run from receipt (C-6).
ONLINE_CHANNELS = frozenset(
    {Channel.WEB, Channel.MOBILE, Channel.API, Channel.WECHAT, Channel.MAILBOX, Channel.OPEN311}
)


def _served_online(case: Case) -> bool:
    return case.channel in ONLINE_CHANNELS


def _windows(served: datetime, *, review: bool) -> list[ClockChange]:
    """The petitioner's windows, counted from the day the written answer was received."""
    window = ClockKind.REVIEW_WINDOW if review else ClockKind.REEXAM_WINDOW
    profile = "review-request-30d" if review else "reexam-request-30d"
    changes: list[ClockChange] = [ClockStart(window, profile=profile, start=served)]
    if not review:
        rating_due = served + timedelta(days=settings.XINFANG_RATING_WINDOW_DAYS)
        changes.append(ClockStart(ClockKind.RATING_WINDOW, due_at=rating_due, start=served))
    return changes


def _issue_opinion(case: Case, actor: User, fields: Mapping[str, Any]) -> None:
    """T14: the signed 信访处理意见书. Served online at once (the 30-day 复查 window opens);
    on paper, the window opens when staff record the date of receipt (case_service_record)."""
    org = case.lead_org or case.register_org
    upper = remedy_org(org=org)
    now = timezone.now()
    online = _served_online(case)
    case = case_transition(
        case=case,
        to=S.OPINION_ISSUED,
        actor=actor,
        updates={
            "outcome": fields["outcome"],
            "opinion_issued_at": now,
            "opinion_served_at": now if online else None,
            "holder_org": None if online else org,
        },
        clocks=[
            ClockStop(frozenset({ClockKind.HANDLE})),
            *(_windows(now, review=False) if online else []),
        ],
        payload={"outcome": fields["outcome"], "served_online": online},
    )
    doc = _issue(
        case,
        DocumentKind.REPLY_OPINION,
        org,
        actor,
        {**fields, "remedy_org": upper.name if upper else "", "remedy_days": 30},
    )
    if online:
        document_serve(document=doc, served_at=now)


SERVICE_STATES = frozenset(
    {S.OPINION_ISSUED, S.REPORT_SUBMITTED, S.COMPLETION_CONFIRMED, S.REEXAM_DECIDED}
)


@transaction.atomic
def case_service_record(*, case: Case, actor: User, served_at: datetime) -> Case:
    """送达: the petitioner received the written opinion (or 复查意见) on paper on `served_at`;
    the 30-day window to ask the organ above runs from that day (Arts. 35–36)."""
    review = case.status == S.REEXAM_DECIDED
    kind = DocumentKind.REEXAM_OPINION if review else DocumentKind.REPLY_OPINION
    doc = case.documents.filter(kind=kind, served_at__isnull=True).order_by("-pk").first()
    if case.status not in SERVICE_STATES or doc is None:
        raise InvalidTransition(Msg("没有待送达的意见书。", "No opinion is waiting to be served."))
    if served_at > timezone.now() or served_at < doc.created_at - timedelta(days=1):
        raise FieldErrors(
            {
                "served_on": [
                    Msg(
                        "送达日期须在出具日期之后、今天之前。",
                        "Served between the issue date and today.",
                    )
                ]
            }
        )
    document_serve(document=doc, served_at=served_at)
    before = case.due_at
    if not review:
        Case.objects.filter(pk=case.pk).update(opinion_served_at=served_at, holder_org=None)
        case.opinion_served_at, case.holder_org = served_at, None
    clocks_apply(case=case, changes=_windows(served_at, review=review), now=timezone.now())
    case_event_append(
        case=case,
        kind=EventKind.DOCUMENT,
        actor=actor,
        actor_org=doc.org,
        public=True,
        payload={"document": doc.pk, "served_at": served_at.isoformat()},
        deadline_before=before,
        deadline_after=case.due_at,
    )
    return case


# --- assigned items: completion report (T15) ------------------------------------------------


def case_report_submit(*, case: Case, actor: User, report: str) -> Case:
    _required(report=report.strip())
    if not case.clocks.filter(kind=ClockKind.REPORT).exists():
        raise InvalidTransition(Msg("只有交办件需要报送办结报告。", "Only assigned items report."))
    return case_transition(
        case=case,
        to=S.REPORT_SUBMITTED,
        actor=actor,
        reason=report,
        updates={"holder_org": _forwarder(case)},
    )


def case_report_decide(*, case: Case, actor: User, confirm: bool, note: str = "") -> Case:
    """审核认定办结, or back to the unit for re-handling."""
    if confirm:
        return case_transition(
            case=case,
            to=S.COMPLETION_CONFIRMED,
            actor=actor,
            reason=note,
            updates={"holder_org": None},
            clocks=[ClockStop(frozenset({ClockKind.REPORT}))],
        )
    _required(note=note.strip())
    return _rehandle(case, actor, note)


def _rehandle(case: Case, actor: User | None, note: str) -> Case:
    """重办: back to the lead unit with a new handling clock (the 复查 window restarts with the
    next opinion)."""
    return case_transition(
        case=case,
        to=S.IN_HANDLING,
        actor=actor,
        reason=note,
        updates={"holder_org": case.lead_org},
        clocks=[
            ClockStop(frozenset({ClockKind.REEXAM_WINDOW, ClockKind.RATING_WINDOW})),
            ClockStart(ClockKind.HANDLE, profile="rehandle-15d", org=case.lead_org),
        ],
        payload={"rehandle": True},
    )


# --- review chain (T16–T21) -----------------------------------------------------------------


@transaction.atomic
def case_reexam_request(
    *,
    case: Case,
    actor: User | None,
    by: Actor,
    reason: str,
    review: bool = False,
    late_reason: str = "",
) -> Case:
    """复查 (or, with review=True, 复核) requested within its 30-day window, to the organ one
    level above the one that decided (Arts. 35–36).

    Staff recording a request that came on paper may accept it outside the window when the
    petitioner had a good reason (N9), which is then recorded; online requests never can.
    """
    _required(reason=reason.strip())
    window = ClockKind.REVIEW_WINDOW if review else ClockKind.REEXAM_WINDOW
    clock = case.clocks.filter(kind=window, stopped_at__isnull=True).first()
    open_now = clock is not None and clock.due_at >= timezone.now()
    excused = by == Actor.STAFF and bool(late_reason.strip())
    if not (open_now or excused):
        raise ApplicationError(
            Msg("已超过申请期限（30日）。", "The 30-day period to ask for this has passed."),
            code="window_closed",
        )
    decided_by = (
        _reviewer(case, AccessRelation.REEXAM) if review else (case.lead_org or case.register_org)
    )
    organ = remedy_org(org=decided_by)
    if organ is None:
        raise ApplicationError(
            Msg("没有上一级机关可以受理。", "There is no higher organ."), code="no_higher_organ"
        )
    relation = AccessRelation.REVIEW if review else AccessRelation.REEXAM
    decide = ClockKind.REVIEW_DECIDE if review else ClockKind.REEXAM_DECIDE
    case = case_transition(
        case=case,
        to=S.REVIEW_REQUESTED if review else S.REEXAM_REQUESTED,
        actor=actor,
        by=by,
        reason=reason,
        updates={"holder_org": organ},
        clocks=[
            ClockStop(frozenset({window, ClockKind.RATING_WINDOW})),
            ClockStart(
                decide, profile="review-decide-30d" if review else "reexam-decide-30d", org=organ
            ),
        ],
        payload={"organ": organ.pk, "organ_name": organ.name, "late_reason": late_reason},
    )
    _grant(case, organ, relation)
    return case


def _reviewer(case: Case, relation: AccessRelation) -> Org:
    access = case.access.filter(relation=relation, is_active=True).select_related("org").first()
    if access is None:
        raise InvalidTransition(Msg("没有复查机关记录。", "No re-examining organ on record."))
    return access.org


@transaction.atomic
def case_reexam_decide(
    *, case: Case, actor: User, fields: Mapping[str, Any], review: bool = False
) -> Case:
    """The 复查意见 (or 复核意见) within 30 days of the request; after 复核 the matter ends."""
    _check_reply(fields, outcomes=ReviewOutcome.values)
    organ = _reviewer(case, AccessRelation.REVIEW if review else AccessRelation.REEXAM)
    decide = ClockKind.REVIEW_DECIDE if review else ClockKind.REEXAM_DECIDE
    now = timezone.now()
    # The 复核 window runs from receipt of the 复查意见: at once online, else when recorded.
    served = not review and _served_online(case)
    clocks: list[ClockChange] = [ClockStop(frozenset({decide}))]
    if served:
        clocks += _windows(now, review=True)
    case = case_transition(
        case=case,
        to=S.REVIEW_DECIDED if review else S.REEXAM_DECIDED,
        actor=actor,
        updates={"holder_org": None},
        clocks=clocks,
        payload={"outcome": fields["outcome"]},
    )
    upper = None if review else remedy_org(org=organ)
    kind = DocumentKind.REVIEW_OPINION if review else DocumentKind.REEXAM_OPINION
    doc = _issue(
        case,
        kind,
        organ,
        actor,
        {
            **fields,
            **({} if review else {"remedy_org": upper.name if upper else "", "remedy_days": 30}),
        },
    )
    if served:
        document_serve(document=doc, served_at=now)
    if review:  # Art. 36 ¶3: the same matter is not accepted again
        case = case_transition(
            case=case, to=S.CLOSED, actor=None, close_reason=CloseReason.REVIEW_FINAL
        )
    return case


@transaction.atomic
def case_review_hearing(*, case: Case, actor: User, start: bool) -> Case:
    """A 复核 hearing: its time is not counted in the 30 days (Art. 36)."""
    if case.status != S.REVIEW_REQUESTED:
        raise InvalidTransition(Msg("只有复核中的信访件可以听证。", "Only cases under review."))
    organ = _reviewer(case, AccessRelation.REVIEW)
    before = case.due_at
    clocks_apply(
        case=case,
        changes=[ClockPause(ClockKind.REVIEW_DECIDE, resume=not start)],
        now=timezone.now(),
    )
    case_event_append(
        case=case,
        kind=EventKind.DEADLINE,
        actor=actor,
        actor_org=organ,
        public=True,
        payload={"hearing": "start" if start else "end"},
        deadline_before=before,
        deadline_after=case.due_at,
    )
    return case


# --- closing ----------------------------------------------------------------------------


def case_withdraw(*, case: Case, actor: User | None, by: Actor, reason: str) -> Case:
    """T22: the petitioner withdraws (online, or in writing recorded by staff)."""
    _required(reason=reason.strip())
    return case_transition(
        case=case,
        to=S.CLOSED,
        actor=actor,
        by=by,
        reason=reason,
        close_reason=CloseReason.WITHDRAWN,
        updates={"holder_org": None},
    )


def case_advice_close(*, case: Case, actor: User, reply: str) -> Case:
    """T24: a suggestion, consultation or thanks answered; no 复查 follows."""
    _required(reply=reply.strip())
    if case.petition_type.kind not in ("advice", "consultation", "praise"):
        raise InvalidTransition(
            Msg(
                "只有建议、咨询、表扬类可直接答复办结。",
                "Only suggestions, enquiries and thanks close this way.",
            )
        )
    return case_transition(
        case=case,
        to=S.CLOSED,
        actor=actor,
        reason=reply,
        close_reason=CloseReason.ADVICE_REPLIED,
        updates={"holder_org": None},
    )
