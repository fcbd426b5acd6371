"""The periodic sweep: warnings, overdue flags with supervision, lapsed windows, escalation."""

from __future__ import annotations

from datetime import datetime, timedelta

import time_machine
from django.conf import settings

from xinfang.cases.models import Case, CaseClock, ClockKind, DueState, EventKind, RequestKind
from xinfang.cases.services import case_register
from xinfang.cases.tests.factories import make_case
from xinfang.cases.workflow import CaseStatus, CloseReason
from xinfang.clock.engine import TZ
from xinfang.handling.models import (
    AlertKind,
    Rating,
    RatingValue,
    StaffAlert,
    SupervisionLevel,
    SupervisionOrder,
    SupervisionStatus,
)
from xinfang.handling.services import (
    case_accept,
    case_forward,
    case_request,
    case_request_decide,
    case_start,
)
from xinfang.handling.supervision import supervision_feedback
from xinfang.handling.sweep import sweep_run
from xinfang.handling.tests.world import World

REPLY = {
    "request": "诉求",
    "facts": "事实",
    "reasons": "理由",
    "outcome": "support",
    "legal_basis": "依据",
}


def at(day: datetime) -> time_machine.travel:
    return time_machine.travel(day, tick=False)


def accepted(w: World, when: datetime) -> Case:
    with at(when):
        case = case_register(case=make_case(), actor=w.registrar)
        case = case_forward(case=case, actor=w.registrar, to_org=w.housing)
        return case_accept(case=case, actor=w.handler)


def test_warning_then_overdue_with_a_reminder_that_escalates(world: World) -> None:
    start = datetime(2025, 3, 3, 9, tzinfo=TZ)  # 60 days → due 2025-05-02, rolled to 05-06
    case = accepted(world, start)
    assert case.due_at == datetime(2025, 5, 6, 23, 59, 59, tzinfo=TZ)

    result = sweep_run(now=start + timedelta(days=10))
    assert (result.warned, result.overdue) == (0, 0)
    result = sweep_run(now=datetime(2025, 4, 25, 9, tzinfo=TZ))  # past 80% of the period
    assert result.warned == 1
    case.refresh_from_db()
    assert case.due_state == DueState.WARNING
    assert StaffAlert.objects.filter(org=world.housing, kind=AlertKind.WARNING).count() == 1
    assert sweep_run(now=datetime(2025, 4, 26, 9, tzinfo=TZ)).warned == 0  # once only

    late = datetime(2025, 5, 7, 9, tzinfo=TZ)
    with at(late):
        result = sweep_run(now=late)
    assert result.overdue == 1
    case.refresh_from_db()
    assert (case.due_state, case.is_supervised) == (DueState.OVERDUE, True)
    assert case.events.filter(kind=EventKind.OVERDUE).count() == 1
    order = SupervisionOrder.objects.get(case=case)
    assert (order.level, order.target_org, order.issuer_org) == (
        SupervisionLevel.REMIND,
        world.housing,
        world.bureau,
    )
    assert order.number  # a numbered 督办单
    assert sweep_run(now=late).overdue == 0  # a re-run does nothing twice

    # No written feedback by the deadline: 催办 → 督办 → 通报, then it stops.
    later = order.feedback_due + timedelta(minutes=1)
    with at(later):
        assert sweep_run(now=later).escalated == 1
    second = SupervisionOrder.objects.get(previous=order)
    assert second.level == SupervisionLevel.SUPERVISE
    with at(second.feedback_due + timedelta(minutes=1)):
        assert sweep_run(now=second.feedback_due + timedelta(minutes=1)).escalated == 1
    third = SupervisionOrder.objects.get(previous=second)
    assert third.level == SupervisionLevel.CIRCULATE
    with at(third.feedback_due + timedelta(days=1)):
        assert sweep_run(now=third.feedback_due + timedelta(days=1)).escalated == 0
    with at(third.feedback_due + timedelta(days=2)):
        supervision_feedback(order=third, actor=world.leader, text="已整改并答复信访人")
    third.refresh_from_db()
    assert third.status == SupervisionStatus.ANSWERED


def test_windows_close_the_case_or_expire_the_rating(world: World) -> None:
    start = datetime(2025, 6, 2, 9, tzinfo=TZ)
    case = accepted(world, start)
    with at(start + timedelta(days=5)):
        case = case_start(case=case, actor=world.handler)
        request = case_request(case=case, actor=world.handler, kind=RequestKind.REPLY, fields=REPLY)
        case_request_decide(request=request, actor=world.leader, approve=True)
    window = CaseClock.objects.get(case=case, kind=ClockKind.REEXAM_WINDOW)
    after = window.due_at + timedelta(minutes=1)
    with at(after):
        result = sweep_run(now=after)
    # The rating window lapses on time; the case waits out the postal grace period.
    assert (result.unrated, result.closed) == (1, 0)
    later = after + timedelta(days=settings.XINFANG_WINDOW_GRACE_DAYS)
    with at(later):
        result = sweep_run(now=later)
    assert result.closed == 1
    case.refresh_from_db()
    assert (case.status, case.close_reason) == (CaseStatus.CLOSED, CloseReason.NO_REEXAM_IN_TIME)
    assert set(Rating.objects.filter(case=case).values_list("value", flat=True)) == {
        RatingValue.EXPIRED
    }


def test_an_overdue_accusation_is_supervised_before_its_accused_unit_is_known(
    world: World,
) -> None:
    start = datetime(2025, 3, 3, 9, tzinfo=TZ)
    with at(start):
        case = case_register(case=make_case(petition_type="accusation"), actor=world.registrar)
    late = start + timedelta(days=20)
    with at(late):
        result = sweep_run(now=late)
    assert result.overdue == 1
    order = SupervisionOrder.objects.get(case=case)
    assert order.target_org == world.bureau  # the bureau still owes the routing
