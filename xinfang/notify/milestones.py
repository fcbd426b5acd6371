"""Which case events people must hear about, and what each notice says (its template fields).

Citizens are told at every milestone the law names (DOMAIN §2: receipt, acceptance or not with
the reason, forwarding/assignment, extension with the reason, the written reply and the 30-day
复查/复核 windows); staff of the units concerned get new assignments, deadline warnings,
overdue flags and supervision orders. Everything is read from the event and the case as they
stand inside the transaction that wrote the event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from xinfang.cases.models import CaseClock, CaseEvent, ClockKind, EventKind, Outcome
from xinfang.cases.workflow import CaseStatus, CloseReason
from xinfang.handling.models import SupervisionLevel
from xinfang.notify.models import Audience

S = CaseStatus


class Milestone(StrEnum):
    # citizens
    RECEIVED = "received"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    FORWARDED = "forwarded"
    EXTENDED = "extended"
    REPLIED = "replied"
    REVIEW_WINDOW = "review_window"
    REEXAM_DECIDED = "reexam_decided"
    REVIEW_DECIDED = "review_decided"
    CLOSED = "closed"
    # staff
    ASSIGNMENT = "assignment"
    DEADLINE_WARNING = "deadline_warning"
    OVERDUE = "overdue"
    SUPERVISION = "supervision"


MILESTONE_LABELS: dict[Milestone, Any] = {
    Milestone.RECEIVED: _("已收到"),
    Milestone.ACCEPTED: _("已受理"),
    Milestone.NOT_ACCEPTED: _("不予受理"),
    Milestone.FORWARDED: _("已转送/交办"),
    Milestone.EXTENDED: _("已延期"),
    Milestone.REPLIED: _("已答复"),
    Milestone.REVIEW_WINDOW: _("可申请复查/复核"),
    Milestone.REEXAM_DECIDED: _("复查意见"),
    Milestone.REVIEW_DECIDED: _("复核意见"),
    Milestone.CLOSED: _("已办结"),
    Milestone.ASSIGNMENT: _("新交办"),
    Milestone.DEADLINE_WARNING: _("临期预警"),
    Milestone.OVERDUE: _("超期"),
    Milestone.SUPERVISION: _("督办"),
}

# Notices the law requires whatever the citizen chose (信访工作条例 Arts. 23, 32, 34–36): a
# citizen who asked for "none" still gets these, on the channel the petition came in on.
LEGALLY_REQUIRED: frozenset[Milestone] = frozenset(
    {
        Milestone.ACCEPTED,
        Milestone.NOT_ACCEPTED,
        Milestone.FORWARDED,
        Milestone.EXTENDED,
        Milestone.REPLIED,
        Milestone.REVIEW_WINDOW,
        Milestone.REEXAM_DECIDED,
        Milestone.REVIEW_DECIDED,
    }
)


@dataclass(frozen=True)
class Notice:
    """One milestone to tell one audience; `orgs` are the units whose staff are told."""

    milestone: Milestone
    audience: Audience
    fields: dict[str, Any] = field(default_factory=dict)
    orgs: tuple[int, ...] = ()


def _citizen(milestone: Milestone, **fields: Any) -> Notice:
    return Notice(milestone, Audience.CITIZEN, fields)


def _staff(milestone: Milestone, orgs: list[int | None], **fields: Any) -> Notice:
    return Notice(milestone, Audience.STAFF, fields, tuple(o for o in orgs if o))


def _window_until(event: CaseEvent, kind: ClockKind) -> datetime | None:
    """End of the petitioner's running 复查/复核 window, if the reply was served."""
    clock = (
        CaseClock.objects.filter(case_id=event.case_id, kind=kind, stopped_at__isnull=True)
        .order_by("-pk")
        .first()
    )
    return clock.due_at if clock else None


def _outcome(event: CaseEvent) -> str:
    value = event.payload.get("outcome", "")
    return str(Outcome(value).label) if value in Outcome.values else str(value)


def _on_forward(event: CaseEvent) -> list[Notice]:
    if event.payload.get("objection"):  # the objection was rejected: nothing new for anyone
        return []
    p = event.payload
    assigned = event.to_status == S.ASSIGNED
    return [
        _citizen(Milestone.FORWARDED, org=p.get("to_org_name", ""), assigned=assigned),
        _staff(
            Milestone.ASSIGNMENT,
            [p.get("to_org"), *p.get("co_orgs", [])],
            assigned=assigned,
            reason=event.reason,
            due=event.deadline_after,
        ),
    ]


def _on_not_accepted(event: CaseEvent) -> list[Notice]:
    p = event.payload
    return [
        _citizen(
            Milestone.NOT_ACCEPTED,
            outcome=str(CaseStatus(event.to_status).label),
            reason=event.reason,
            org=p.get("target_org_name", ""),
            channel=p.get("channel", ""),
        )
    ]


def _on_closed(event: CaseEvent) -> list[Notice]:
    reason = event.payload.get("close_reason", "")
    if reason == CloseReason.ADVICE_REPLIED:
        return [_citizen(Milestone.REPLIED, reply=event.reason)]
    if reason == CloseReason.ACCUSATION_TRANSFERRED:
        return [_citizen(Milestone.FORWARDED, org=event.payload.get("to_org_name", ""))]
    if reason == CloseReason.REVIEW_FINAL:  # the 复核 notice just said so
        return []
    label = CloseReason(reason).label if reason in CloseReason.values else ""
    return [_citizen(Milestone.CLOSED, close_reason=str(label))]


def _on_review_request(event: CaseEvent) -> list[Notice]:
    # The organ above now owes a 复查/复核 decision: its staff have a new item.
    return [_staff(Milestone.ASSIGNMENT, [event.payload.get("organ")], due=event.deadline_after)]


STATUS_NOTICES: dict[CaseStatus, Callable[[CaseEvent], list[Notice]]] = {
    S.ACCEPTED: lambda e: [_citizen(Milestone.ACCEPTED, due=e.deadline_after)],
    S.FORWARDED: _on_forward,
    S.ASSIGNED: _on_forward,
    S.NOTIFIED_REDIRECT: _on_not_accepted,
    S.DIVERTED: _on_not_accepted,
    S.NOT_ACCEPTED_REPEAT: _on_not_accepted,
    S.EXTENDED: lambda e: [_citizen(Milestone.EXTENDED, reason=e.reason, due=e.deadline_after)],
    S.OPINION_ISSUED: lambda e: [
        _citizen(
            Milestone.REPLIED,
            outcome=_outcome(e),
            served=bool(e.payload.get("served_online")),
            until=_window_until(e, ClockKind.REEXAM_WINDOW),
        )
    ],
    S.REEXAM_DECIDED: lambda e: [
        _citizen(
            Milestone.REEXAM_DECIDED,
            outcome=str(e.payload.get("outcome", "")),
            until=_window_until(e, ClockKind.REVIEW_WINDOW),
        )
    ],
    S.REVIEW_DECIDED: lambda e: [_citizen(Milestone.REVIEW_DECIDED)],
    S.REEXAM_REQUESTED: _on_review_request,
    S.REVIEW_REQUESTED: _on_review_request,
    S.CLOSED: _on_closed,
}


def _clock_org(event: CaseEvent) -> int | None:
    """The unit whose clock warned or ran out (the sweep records the clock's kind and due)."""
    clocks = CaseClock.objects.filter(case_id=event.case_id, kind=event.payload.get("clock", ""))
    if event.deadline_before is not None:
        clocks = clocks.filter(due_at=event.deadline_before)
    clock = clocks.order_by("-pk").values_list("org_id", flat=True).first()
    case = event.case
    return clock or case.holder_org_id or case.register_org_id


def _clock_fields(event: CaseEvent) -> dict[str, Any]:
    kind = event.payload.get("clock", "")
    label = ClockKind(kind).label if kind in ClockKind.values else kind
    return {"clock": str(label), "due": event.deadline_before}


def _level(value: object) -> str:
    levels = {int(v): str(label) for v, label in SupervisionLevel.choices}
    return levels.get(value, "") if isinstance(value, int) else ""


def _when(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _on_status(event: CaseEvent) -> list[Notice]:
    handler = STATUS_NOTICES.get(CaseStatus(event.to_status)) if event.to_status else None
    return handler(event) if handler else []


def _on_document(event: CaseEvent) -> list[Notice]:
    if "served_at" not in event.payload:  # only a paper service opens a window
        return []
    review = event.case.status == S.REEXAM_DECIDED
    kind = ClockKind.REVIEW_WINDOW if review else ClockKind.REEXAM_WINDOW
    return [_citizen(Milestone.REVIEW_WINDOW, review=review, until=_window_until(event, kind))]


EVENT_NOTICES: dict[str, Callable[[CaseEvent], list[Notice]]] = {
    EventKind.RECEIVED: lambda e: [_citizen(Milestone.RECEIVED, due=e.deadline_after)],
    EventKind.STATUS: _on_status,
    EventKind.DOCUMENT: _on_document,
    EventKind.WARNING: lambda e: [
        _staff(Milestone.DEADLINE_WARNING, [_clock_org(e)], **_clock_fields(e))
    ],
    EventKind.OVERDUE: lambda e: [_staff(Milestone.OVERDUE, [_clock_org(e)], **_clock_fields(e))],
    EventKind.SUPERVISION: lambda e: [
        _staff(
            Milestone.SUPERVISION,
            [e.payload.get("target_org")],
            level=_level(e.payload.get("level")),
            number=e.payload.get("number", ""),
            problem=e.reason,
            due=_when(e.payload.get("feedback_due")),
        )
    ],
    # 二级承办: a unit below the lead now works on the case too.
    EventKind.ACCESS: lambda e: (
        [_staff(Milestone.ASSIGNMENT, [e.payload.get("sub_org")], reason=e.reason)]
        if e.payload.get("sub_org")
        else []
    ),
}


def notices_for(event: CaseEvent) -> list[Notice]:
    """The notices an event calls for (none for most events: notes, triage, ratings …)."""
    handler = EVENT_NOTICES.get(event.kind)
    return handler(event) if handler else []
