"""Reads for the workbench: a unit's queues, a case's responsibility chain, open tasks.

Queues read `Case.holder_org` (the unit expected to act next) with the (holder_org, status,
due_at) index, so a unit's page costs the same with a thousand or a million petitions stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from xinfang.cases.models import Case, CaseRequest, DueState, EventKind, RequestStatus
from xinfang.cases.workflow import CaseStatus
from xinfang.clock.engine import TZ
from xinfang.handling.models import (
    RevisitTask,
    StaffAlert,
    SupervisionOrder,
    SupervisionStatus,
)
from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import StaffScope

S = CaseStatus


class Queue(StrEnum):
    REGISTER = "register"
    ROUTE = "route"
    SIGN = "sign"
    HANDLE = "handle"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    SUPERVISED = "supervised"
    APPROVE = "approve"
    REVISIT = "revisit"
    REVIEW = "review"


QUEUE_LABELS = {
    Queue.REGISTER: _("待登记"),
    Queue.ROUTE: _("待转送交办"),
    Queue.SIGN: _("待签收"),
    Queue.HANDLE: _("待办理"),
    Queue.DUE_SOON: _("即将到期"),
    Queue.OVERDUE: _("已超期"),
    Queue.SUPERVISED: _("督办件"),
    Queue.APPROVE: _("待审核"),
    Queue.REVISIT: _("待回访"),
    Queue.REVIEW: _("复查/复核"),
}
# Which permissions make a queue part of a member's work.
QUEUE_PERMS: dict[Queue, frozenset[Perm]] = {
    Queue.REGISTER: frozenset({Perm.CASE_REGISTER}),
    Queue.ROUTE: frozenset({Perm.CASE_ROUTE}),
    Queue.SIGN: frozenset({Perm.CASE_HANDLE}),
    Queue.HANDLE: frozenset({Perm.CASE_HANDLE}),
    Queue.DUE_SOON: frozenset({Perm.CASE_HANDLE, Perm.CASE_REGISTER, Perm.CASE_ROUTE}),
    Queue.OVERDUE: frozenset(
        {Perm.CASE_HANDLE, Perm.CASE_REGISTER, Perm.CASE_ROUTE, Perm.CASE_SUPERVISE}
    ),
    Queue.SUPERVISED: frozenset({Perm.CASE_HANDLE, Perm.CASE_SUPERVISE}),
    Queue.APPROVE: frozenset({Perm.CASE_APPROVE, Perm.CASE_ROUTE}),
    Queue.REVISIT: frozenset({Perm.CASE_REVISIT}),
    Queue.REVIEW: frozenset({Perm.CASE_APPROVE, Perm.CASE_REGISTER}),
}
HANDLING = (S.ACCEPTED, S.IN_HANDLING, S.EXTENDED, S.HEARING)


def queues_for(*, scope: StaffScope) -> list[Queue]:
    return [q for q in Queue if QUEUE_PERMS[q] & scope.perms]


def _orgs(scope: StaffScope, queue: Queue, perms: frozenset[Perm] | None = None) -> list[int]:
    wanted = perms or QUEUE_PERMS[queue]
    return sorted({m.org_id for m in scope.memberships if wanted & m.perms})


def _regions(scope: StaffScope) -> Q:
    """Cases in the regions a supervisor follows (nothing when there are none)."""
    q = Q(pk__in=[])
    for m in scope.memberships:
        if Perm.CASE_SUPERVISE in m.perms and m.region_prefix:
            q |= Q(region__code__startswith=m.region_prefix)
    return q


def queue_cases(*, scope: StaffScope, queue: Queue) -> QuerySet[Case]:
    """The cases of one queue for this staff member, soonest due first."""
    orgs = _orgs(scope, queue)
    held = Case.objects.filter(holder_org__in=orgs)
    qs: QuerySet[Case]
    if queue == Queue.REGISTER:
        qs = held.filter(status=S.RECEIVED)
    elif queue == Queue.ROUTE:
        qs = held.filter(status=S.REGISTERED)
    elif queue == Queue.SIGN:
        qs = held.filter(status__in=(S.FORWARDED, S.ASSIGNED))
    elif queue == Queue.HANDLE:
        # Includes a paper reply whose receipt by the petitioner is still to be recorded.
        qs = held.filter(status__in=(*HANDLING, S.OPINION_ISSUED))
    elif queue == Queue.DUE_SOON:
        qs = held.filter(due_state=DueState.WARNING)
    elif queue == Queue.OVERDUE:
        qs = Case.objects.filter(
            Q(holder_org__in=orgs) | _regions(scope), due_state=DueState.OVERDUE
        )
    elif queue == Queue.SUPERVISED:
        open_orders = SupervisionOrder.objects.filter(status=SupervisionStatus.OPEN)
        ids = open_orders.filter(Q(target_org__in=orgs) | Q(issuer_org__in=orgs))
        qs = Case.objects.filter(pk__in=ids.values("case_id"))
    elif queue == Queue.APPROVE:
        approvers = _orgs(scope, queue, frozenset({Perm.CASE_APPROVE}))
        routers = _orgs(scope, queue, frozenset({Perm.CASE_ROUTE}))
        pending = CaseRequest.objects.filter(org__in=approvers, status=RequestStatus.PENDING)
        qs = Case.objects.filter(
            Q(holder_org__in=routers, status__in=(S.OBJECTED, S.REPORT_SUBMITTED))
            | Q(pk__in=pending.values("case_id"))
        )
    elif queue == Queue.REVISIT:
        tasks = RevisitTask.objects.filter(org__in=orgs, is_open=True)
        qs = Case.objects.filter(pk__in=tasks.values("case_id"))
    else:
        qs = held.filter(status__in=(S.REEXAM_REQUESTED, S.REVIEW_REQUESTED))
    return qs


@dataclass(frozen=True)
class QueueFilter:
    region: str = ""  # division code prefix
    category: str = ""  # catalogue code prefix
    petition_type: str = ""
    channel: str = ""
    flag: str = ""  # urgent / fast / supervised / anonymous / collective
    received_from: date | None = None
    received_to: date | None = None
    q: str = ""
    sort: str = "due"


FLAGS = {
    "urgent": Q(is_urgent=True),
    "fast": Q(is_fast_track=True),
    "supervised": Q(is_supervised=True),
    "anonymous": Q(is_anonymous=True),
    "collective": Q(is_collective=True),
}
SORTS: Mapping[str, tuple[object, ...]] = {
    "due": (F("due_at").asc(nulls_last=True), "pk"),
    "received": ("received_at", "pk"),
    "-received": ("-received_at", "-pk"),
}


def queue_filter(*, qs: QuerySet[Case], f: QueueFilter) -> QuerySet[Case]:
    if f.region:
        qs = qs.filter(region__code__startswith=f.region)
    if f.category:
        qs = qs.filter(category__code__startswith=f.category)
    if f.petition_type:
        qs = qs.filter(petition_type__code=f.petition_type)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.flag in FLAGS:
        qs = qs.filter(FLAGS[f.flag])
    if f.received_from:
        qs = qs.filter(received_at__gte=datetime.combine(f.received_from, time.min, tzinfo=TZ))
    if f.received_to:
        qs = qs.filter(received_at__lte=datetime.combine(f.received_to, time.max, tzinfo=TZ))
    if f.q:
        text = f.q.strip()
        qs = qs.filter(Q(item_number=text) | Q(query_code=text.upper()) | Q(title__icontains=text))
    return qs.order_by(*SORTS.get(f.sort, SORTS["due"]))  # type: ignore[arg-type]


def queue_counts(*, scope: StaffScope) -> dict[Queue, int]:
    return {q: queue_cases(scope=scope, queue=q).count() for q in queues_for(scope=scope)}


def alerts_unread(*, scope: StaffScope, limit: int = 20) -> list[StaffAlert]:
    orgs = sorted(scope.org_ids)
    return list(
        StaffAlert.objects.filter(org__in=orgs, read_at__isnull=True)
        .select_related("case")
        .order_by("-created_at")[:limit]
    )


@dataclass(frozen=True)
class Responsibility:
    """谁受理、谁交办、谁回访、谁督查、谁反馈 for one case (issue 3 §4)."""

    role: str
    who: str
    unit: str
    at: datetime | None


def responsibility_chain(*, case: Case) -> list[Responsibility]:
    rows: list[Responsibility] = []
    events = case.events.select_related("actor", "actor_org").order_by("pk")
    firsts = {
        S.REGISTERED: _("登记受理"),
        S.FORWARDED: _("转送"),
        S.ASSIGNED: _("交办"),
        S.ACCEPTED: _("签收办理"),
        S.OPINION_ISSUED: _("出具意见"),
    }
    seen: set[str] = set()
    for e in events:
        label = None
        if e.kind == EventKind.STATUS and e.to_status in firsts and e.to_status not in seen:
            label = firsts[S(e.to_status)]
            seen.add(e.to_status)
        elif e.kind in (EventKind.REVISIT, EventKind.SUPERVISION, EventKind.FEEDBACK) and e.actor:
            label = {
                EventKind.REVISIT: _("回访"),
                EventKind.SUPERVISION: _("督查"),
                EventKind.FEEDBACK: _("反馈"),
            }[EventKind(e.kind)]
        if label is not None:
            rows.append(
                Responsibility(
                    str(label),
                    e.actor.full_name or e.actor.username if e.actor else str(_("系统")),
                    e.actor_org.name if e.actor_org else "",
                    e.created_at,
                )
            )
    if case.first_handler_org is not None:
        who = case.first_handler.full_name if case.first_handler else ""
        rows.append(Responsibility(str(_("首办责任")), who, case.first_handler_org.name, None))
    return rows
