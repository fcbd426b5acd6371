"""One petition through its whole legal life at service level, with real clocks."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from xinfang.cases.models import AccessRelation, CaseClock, ClockKind, EventKind, RequestKind
from xinfang.cases.selectors import case_get_for_user
from xinfang.cases.services import case_register
from xinfang.cases.tests.factories import make_case
from xinfang.cases.workflow import Actor, CaseStatus, CloseReason
from xinfang.clock.engine import TZ
from xinfang.documents.choices import DocumentKind
from xinfang.handling.evaluation import case_rate, revisit_complete
from xinfang.handling.models import RatingParty, RatingValue, RevisitOutcome, RevisitTask
from xinfang.handling.services import (
    case_accept,
    case_forward,
    case_reexam_decide,
    case_reexam_request,
    case_request,
    case_request_decide,
    case_start,
)
from xinfang.handling.tests.world import World

S = CaseStatus
REPLY = {
    "request": "要求查处夜间施工噪音。",
    "facts": "经查，该工地确有夜间施工行为。",
    "reasons": "违反《噪声污染防治法》有关规定。",
    "outcome": "support",
    "legal_basis": "《中华人民共和国噪声污染防治法》第四十三条",
}


def at(year: int, month: int, day: int, hour: int) -> time_machine.travel:
    return time_machine.travel(datetime(year, month, day, hour, tzinfo=TZ), tick=False)


def test_whole_life_from_receipt_to_final_review(world: World) -> None:
    w = world
    with at(2025, 8, 1, 9):
        case = make_case()
        case = case_register(case=case, actor=w.registrar)
        case = case_forward(case=case, actor=w.registrar, to_org=w.housing, reason="属地主管")
    assert (case.status, case.holder_org, case.lead_org) == (S.FORWARDED, w.housing, w.housing)
    kinds = set(case.clocks.filter(stopped_at__isnull=True).values_list("kind", flat=True))
    assert kinds == {ClockKind.NOTICE, ClockKind.OBJECTION}
    # The housing department now sees the case; a unit with no relation to it does not.
    assert case_get_for_user(user=w.handler, case_id=case.pk) is not None

    with at(2025, 8, 3, 10):  # 60 days after 2025-08-03 is 10-02, rolled past the holiday
        case = case_accept(case=case, actor=w.handler)
    assert case.status == S.ACCEPTED
    assert case.due_at == datetime(2025, 10, 9, 23, 59, 59, tzinfo=TZ)
    assert (case.first_handler_org, case.first_handler) == (w.housing, w.handler)

    with at(2025, 9, 20, 9):
        case = case_start(case=case, actor=w.handler)
        request = case_request(
            case=case,
            actor=w.handler,
            kind=RequestKind.EXTENSION,
            fields={"days": 30, "reason": "需要补充调查取证"},
        )
        case_request_decide(request=request, actor=w.leader, approve=True)
    case.refresh_from_db()
    assert case.status == S.EXTENDED
    # Extended from the nominal end (10-02) by 30 days: 11-01 is a Saturday → Monday 11-03.
    assert case.due_at == datetime(2025, 11, 3, 23, 59, 59, tzinfo=TZ)
    extension = case.events.get(kind=EventKind.STATUS, to_status=S.EXTENDED)
    assert extension.deadline_before == datetime(2025, 10, 9, 23, 59, 59, tzinfo=TZ)
    assert extension.deadline_after == case.due_at
    assert extension.actor == w.leader
    assert extension.actor_org == w.housing

    with at(2025, 10, 20, 9):
        request = case_request(case=case, actor=w.handler, kind=RequestKind.REPLY, fields=REPLY)
        case_request_decide(request=request, actor=w.leader, approve=True)
    case.refresh_from_db()
    assert (case.status, case.outcome, case.due_at) == (S.OPINION_ISSUED, "support", None)
    reply = case.documents.get(kind=DocumentKind.REPLY_OPINION)
    assert "芙蓉区人民政府" in reply.html  # the remedy: who re-examines, and within 30 days

    with at(2025, 10, 22, 9):
        case_rate(
            case=case,
            values={
                RatingParty.BUREAU: RatingValue.SATISFIED,
                RatingParty.UNIT: RatingValue.DISSATISFIED,
            },
            reason="噪音仍未停止",
        )
        task = RevisitTask.objects.get(case=case)
        assert task.org == w.bureau
        revisit_complete(
            task=task,
            actor=w.revisit,
            outcome=RevisitOutcome.ANNOTATE,
            note="已电话回访，信访人坚持不满意，告知复查途径",
        )
    assert case.ratings.get(party=RatingParty.UNIT).annotation.startswith("已电话回访")

    with at(2025, 11, 1, 9):
        case = case_reexam_request(
            case=case, actor=None, by=Actor.PETITIONER, reason="不服处理意见"
        )
    assert (case.status, case.holder_org) == (S.REEXAM_REQUESTED, w.county_gov)
    assert case.access.filter(org=w.county_gov, relation=AccessRelation.REEXAM).exists()
    assert case.due_at == datetime(2025, 12, 1, 23, 59, 59, tzinfo=TZ)

    with at(2025, 11, 20, 9):
        case = case_reexam_decide(
            case=case, actor=w.county_leader, fields={**REPLY, "outcome": "uphold"}
        )
    assert case.status == S.REEXAM_DECIDED
    with at(2025, 11, 25, 9):
        case = case_reexam_request(
            case=case, actor=None, by=Actor.PETITIONER, reason="仍不服", review=True
        )
    assert case.holder_org == w.city_gov
    with at(2025, 12, 10, 9):
        case = case_reexam_decide(
            case=case, actor=w.city_leader, fields={**REPLY, "outcome": "uphold"}, review=True
        )
    assert (case.status, case.close_reason) == (S.CLOSED, CloseReason.REVIEW_FINAL)
    assert not CaseClock.objects.filter(case=case, stopped_at__isnull=True).exists()
    trail = list(case.events.filter(kind=EventKind.STATUS).values_list("to_status", flat=True))
    assert trail == [
        S.REGISTERED,
        S.FORWARDED,
        S.ACCEPTED,
        S.IN_HANDLING,
        S.EXTENDED,
        S.OPINION_ISSUED,
        S.REEXAM_REQUESTED,
        S.REEXAM_DECIDED,
        S.REVIEW_REQUESTED,
        S.REVIEW_DECIDED,
        S.CLOSED,
    ]


def test_a_second_extension_is_refused(world: World) -> None:
    from xinfang.cases.services import InvalidTransition

    case = make_case()
    case = case_register(case=case, actor=world.registrar)
    case = case_forward(case=case, actor=world.registrar, to_org=world.housing)
    case = case_accept(case=case, actor=world.handler)
    case = case_start(case=case, actor=world.handler)
    request = case_request(
        case=case,
        actor=world.handler,
        kind=RequestKind.EXTENSION,
        fields={"days": 10, "reason": "取证"},
    )
    case_request_decide(request=request, actor=world.leader, approve=True)
    case.refresh_from_db()
    with pytest.raises(InvalidTransition):
        case_request(
            case=case,
            actor=world.handler,
            kind=RequestKind.EXTENSION,
            fields={"days": 10, "reason": "再次取证"},
        )


def test_review_hearing_time_is_not_counted(world: World) -> None:
    from xinfang.handling.services import case_review_hearing

    w = world
    with at(2025, 3, 3, 9):
        case = case_register(case=make_case(), actor=w.registrar)
        case = case_forward(case=case, actor=w.registrar, to_org=w.housing)
        case = case_start(case=case_accept(case=case, actor=w.handler), actor=w.handler)
        request = case_request(case=case, actor=w.handler, kind=RequestKind.REPLY, fields=REPLY)
        case_request_decide(request=request, actor=w.leader, approve=True)
        case.refresh_from_db()
        case = case_reexam_request(case=case, actor=None, by=Actor.PETITIONER, reason="不服")
        case = case_reexam_decide(
            case=case, actor=w.county_leader, fields={**REPLY, "outcome": "uphold"}
        )
        case = case_reexam_request(
            case=case, actor=None, by=Actor.PETITIONER, reason="仍不服", review=True
        )
    due = case.due_at  # 30 days from 03-03: 04-02
    assert due == datetime(2025, 4, 2, 23, 59, 59, tzinfo=TZ)
    with at(2025, 3, 10, 9):
        case = case_review_hearing(case=case, actor=w.city_leader, start=True)
    with at(2025, 3, 12, 15):  # 2 days 6 hours of hearing: three days are not counted
        case = case_review_hearing(case=case, actor=w.city_leader, start=False)
    assert case.due_at == datetime(2025, 4, 5, 23, 59, 59, tzinfo=TZ)
    event = case.events.filter(kind=EventKind.DEADLINE).last()
    assert (event.deadline_before, event.deadline_after) == (due, case.due_at)
