"""The workbench over the real HTTP stack: one case worked from registration to 复查."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client

from xinfang.audit.models import AuditEntry
from xinfang.cases.models import Case
from xinfang.cases.tests.factories import VALID_PHONE, make_case
from xinfang.cases.workflow import Actor, CaseStatus
from xinfang.handling.evaluation import case_rate
from xinfang.handling.models import RatingParty, RatingValue
from xinfang.handling.services import case_reexam_request
from xinfang.handling.tests.world import World
from xinfang.orgs.models import User
from xinfang.signin.tests.helpers import force_login_verified

S = CaseStatus


def as_user(user: User) -> Client:
    client = Client()
    force_login_verified(client, user)
    return client


def act(client: Client, case: Case, name: str, **data: Any) -> Any:
    body = {f"{name}-{k}": v for k, v in data.items()}
    return client.post(f"/staff/cases/{case.pk}/actions/{name}/", body)


def status(case: Case) -> str:
    return Case.objects.get(pk=case.pk).status


REPLY = {
    "request": "要求查处夜间施工噪音。",
    "facts": "经查属实。",
    "reasons": "违反噪声污染防治规定。",
    "outcome": "support",
    "legal_basis": "《噪声污染防治法》",
}


def test_a_case_worked_through_the_workbench(world: World) -> None:
    w = world
    case = make_case()
    registrar, handler, leader = as_user(w.registrar), as_user(w.handler), as_user(w.leader)

    page = registrar.get("/staff/queue/register/")
    assert page.status_code == 200
    assert case.item_number in page.content.decode()
    assert act(registrar, case, "register").status_code == 302
    # A bad form answers 400 with the field's message, and nothing moves.
    bad = act(registrar, case, "forward", to_org="")
    assert bad.status_code == 400
    assert "field-error" in bad.content.decode()
    assert status(case) == S.REGISTERED
    assert act(registrar, case, "forward", to_org=w.housing.code).status_code == 302
    assert status(case) == S.FORWARDED

    assert case.item_number in handler.get("/staff/queue/sign/").content.decode()
    assert act(handler, case, "accept").status_code == 302
    assert act(handler, case, "start").status_code == 302
    assert (
        act(handler, case, "request_extension", days="15", reason="需补充调查").status_code == 302
    )
    # The head approves from the 待审核 queue.
    assert case.item_number in leader.get("/staff/queue/approve/").content.decode()
    assert act(leader, case, "decide_request", approve="1").status_code == 302
    assert status(case) == S.EXTENDED
    assert act(handler, case, "submit_reply", **REPLY).status_code == 302
    assert act(leader, case, "decide_request", approve="1").status_code == 302
    assert status(case) == S.OPINION_ISSUED

    case.refresh_from_db()
    case_rate(
        case=case,
        values={RatingParty.BUREAU: RatingValue.BASIC, RatingParty.UNIT: RatingValue.DISSATISFIED},
        reason="未解决",
    )
    revisit = as_user(w.revisit)
    assert case.item_number in revisit.get("/staff/queue/revisit/").content.decode()
    assert act(revisit, case, "revisit", outcome="annotate", note="已回访").status_code == 302

    case.refresh_from_db()
    case_reexam_request(case=case, actor=None, by=Actor.PETITIONER, reason="不服")
    county = as_user(w.county_leader)
    assert case.item_number in county.get("/staff/queue/review/").content.decode()
    answer = act(county, case, "reexam_decide", **{**REPLY, "outcome": "uphold"})
    assert answer.status_code == 302
    assert status(case) == S.REEXAM_DECIDED
    assert "复查意见书" in county.get(f"/staff/cases/{case.pk}/").content.decode()


def test_an_action_not_open_to_the_user_is_refused(world: World) -> None:
    case = make_case()
    handler = as_user(world.handler)
    # The housing department has no relation to a case still at the bureau: not found.
    assert act(handler, case, "register").status_code == 404
    registrar = as_user(world.registrar)
    assert act(registrar, case, "accept").status_code == 403
    assert status(case) == S.RECEIVED


def test_identity_is_masked_and_a_reveal_is_audited(world: World) -> None:
    case = make_case()
    registrar = as_user(world.registrar)
    act(registrar, case, "register")
    act(registrar, case, "forward", to_org=world.housing.code)
    leader = as_user(world.leader)
    page = leader.get(f"/staff/cases/{case.pk}/").content.decode()
    assert VALID_PHONE not in page
    assert VALID_PHONE[:3] + "****" + VALID_PHONE[-4:] in page
    revealed = leader.post(f"/staff/cases/{case.pk}/reveal/")
    assert revealed.status_code == 200
    assert VALID_PHONE in revealed.content.decode()
    entry = AuditEntry.objects.filter(action="identity.reveal").get()
    assert (entry.actor, entry.object_id) == (world.leader, str(case.pk))
    # A handler has no reveal permission.
    assert as_user(world.handler).post(f"/staff/cases/{case.pk}/reveal/").status_code == 403


def test_several_cases_forwarded_at_once_each_on_its_own_merits(world: World) -> None:
    registrar = as_user(world.registrar)
    cases = [make_case() for _ in range(3)]
    for case in cases[:2]:
        act(registrar, case, "register")
    page = registrar.get("/staff/queue/route/").content.decode()
    assert all(c.item_number in page for c in cases[:2])
    result = registrar.post(
        "/staff/bulk/",
        {"action": "forward", "to_org": world.housing.code, "case": [c.pk for c in cases]},
    )
    assert result.status_code == 200
    assert [status(c) for c in cases] == [S.FORWARDED, S.FORWARDED, S.RECEIVED]
    assert "当前不能执行此操作" in result.content.decode()  # the unregistered one is refused


def test_the_unit_head_sees_what_they_approve(world: World) -> None:
    registrar, handler, leader = (
        as_user(u) for u in (world.registrar, world.handler, world.leader)
    )
    case = make_case()
    act(registrar, case, "register")
    act(registrar, case, "forward", to_org=world.housing.code)
    act(handler, case, "accept")
    act(handler, case, "start")
    act(handler, case, "request_extension", days="12", reason="需要现场复核测量")
    page = leader.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'data-testid="request-pending"' in page
    assert "需要现场复核测量" in page
    act(leader, case, "decide_request", approve="1", note="同意延期十二日")
    page = leader.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'data-testid="request-approved"' in page
    assert "同意延期十二日" in page


def test_a_repeat_keeps_the_first_handler_of_the_earlier_item(world: World) -> None:
    registrar, handler = as_user(world.registrar), as_user(world.handler)
    first = make_case()
    act(registrar, first, "register")
    act(registrar, first, "forward", to_org=world.housing.code)
    act(handler, first, "accept")
    again = make_case()
    assert act(registrar, again, "link_repeat", earlier="NO-SUCH-1").status_code == 400
    assert act(registrar, again, "link_repeat", earlier=first.item_number).status_code == 302
    again.refresh_from_db()
    assert again.repeat_of_id == first.pk
    assert (again.first_handler_org, again.first_handler) == (world.housing, world.handler)
    # An alert told the housing department about the forwarding, until someone opened it.
    assert first.item_number in handler.get("/staff/").content.decode()
    handler.get(f"/staff/cases/{first.pk}/")
    assert first.item_number not in handler.get("/staff/").content.decode()


def replied_case(world: World) -> Case:
    registrar, handler, leader = (
        as_user(u) for u in (world.registrar, world.handler, world.leader)
    )
    case = make_case()
    act(registrar, case, "register")
    act(registrar, case, "forward", to_org=world.housing.code)
    act(handler, case, "accept")
    act(handler, case, "start")
    act(handler, case, "submit_reply", **REPLY)
    act(leader, case, "decide_request", approve="1")
    case.refresh_from_db()
    return case


def test_only_the_organs_above_decide_reexam_and_review(world: World) -> None:
    case = replied_case(world)
    case_reexam_request(case=case, actor=None, by=Actor.PETITIONER, reason="不服")
    opinion = {**REPLY, "outcome": "uphold"}
    # The unit whose opinion is under review cannot re-examine it.
    assert act(as_user(world.leader), case, "reexam_decide", **opinion).status_code == 403
    assert act(as_user(world.county_leader), case, "reexam_decide", **opinion).status_code == 302
    case.refresh_from_db()
    case_reexam_request(case=case, actor=None, by=Actor.PETITIONER, reason="仍不服", review=True)
    assert act(as_user(world.county_leader), case, "review_decide", **opinion).status_code == 403
    assert act(as_user(world.city_leader), case, "review_decide", **opinion).status_code == 302
    assert status(case) == S.CLOSED


def test_a_supervised_unit_answers_in_writing(world: World) -> None:
    case = replied_case(world)
    supervisor = as_user(world.supervisor)
    ordered = act(
        supervisor,
        case,
        "supervise",
        level="1",
        target_org=world.housing.code,
        problem="答复内容过于简单",
    )
    assert ordered.status_code == 302
    handler = as_user(world.handler)
    assert case.item_number in handler.get("/staff/queue/supervised/").content.decode()
    assert act(handler, case, "feedback", feedback="").status_code == 400
    assert act(handler, case, "feedback", feedback="已补充答复并电话沟通").status_code == 302
    case.refresh_from_db()
    assert not case.is_supervised
    assert case.supervisions.get().feedback == "已补充答复并电话沟通"


def test_a_paper_reply_opens_the_reexam_window_from_its_receipt(world: World) -> None:
    from datetime import date

    from django.utils import timezone

    from xinfang.cases.models import Channel, ClockKind
    from xinfang.cases.tests.factories import petition_payload
    from xinfang.clock.engine import TZ
    from xinfang.intake.services import petition_submit

    case = petition_submit(channel=Channel.LETTER, data=petition_payload()).case
    registrar, handler, leader = (
        as_user(u) for u in (world.registrar, world.handler, world.leader)
    )
    act(registrar, case, "register")
    act(registrar, case, "forward", to_org=world.housing.code)
    act(handler, case, "accept")
    act(handler, case, "start")
    act(handler, case, "submit_reply", **REPLY)
    act(leader, case, "decide_request", approve="1")
    case.refresh_from_db()
    assert case.opinion_served_at is None
    assert not case.clocks.filter(kind=ClockKind.REEXAM_WINDOW).exists()
    # The unit keeps it in its queue until the date of receipt is recorded.
    assert case.item_number in handler.get("/staff/queue/handle/").content.decode()
    today = timezone.localdate()
    future = date(today.year + 1, 1, 1).isoformat()
    assert act(handler, case, "record_service", served_on=future).status_code == 400
    assert act(handler, case, "record_service", served_on=today.isoformat()).status_code == 302
    window = case.clocks.get(kind=ClockKind.REEXAM_WINDOW)
    assert window.started_at.astimezone(TZ).date() == today
    assert case.documents.get(kind="reply_opinion").served_at is not None


def test_a_paper_reexam_request_recorded_late_needs_a_good_reason(world: World) -> None:
    import time_machine

    case = replied_case(world)
    window = case.clocks.get(kind="reexam_window")
    with time_machine.travel(window.due_at + timedelta(days=3), tick=False):
        registrar = as_user(world.registrar)  # signed in then: staff sessions expire
        refused = act(registrar, case, "record_reexam", reason="不服处理意见", late_reason="")
        assert refused.status_code == 400
        assert status(case) == S.OPINION_ISSUED
        done = act(
            registrar,
            case,
            "record_reexam",
            reason="不服处理意见",
            late_reason="住院治疗，出院后即提出",
        )
        assert done.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.holder_org) == (S.REEXAM_REQUESTED, world.county_gov)
    event = case.events.get(to_status=S.REEXAM_REQUESTED)
    assert event.payload["late_reason"] == "住院治疗，出院后即提出"
    assert event.actor == world.registrar
