"""Notices are queued with the change that causes them: who is told what, on which medium."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from xinfang.cases.models import CaseClock, Channel, ClockKind, EventKind, RequestKind
from xinfang.cases.services import case_register
from xinfang.cases.tests.factories import VALID_PHONE, make_case, petition_payload
from xinfang.cases.workflow import CaseStatus, NotAcceptRule
from xinfang.citizens.services import phone_index
from xinfang.handling.services import (
    case_accept,
    case_forward,
    case_not_accept,
    case_request,
    case_request_decide,
    case_start,
)
from xinfang.handling.sweep import sweep_run
from xinfang.handling.tests.world import World
from xinfang.intake.services import petition_submit
from xinfang.notify.contacts import Contact
from xinfang.notify.models import (
    Audience,
    ChannelPreference,
    ContactRole,
    Medium,
    Notification,
    PreferredChannel,
)
from xinfang.notify.services import deliver_after_commit, outbox_record_event

pytestmark = pytest.mark.django_db

REPLY = {
    "request": "要求查处夜间施工噪音。",
    "facts": "经查，该工地确有夜间施工行为。",
    "reasons": "违反《噪声污染防治法》有关规定。",
    "outcome": "support",
    "legal_basis": "《中华人民共和国噪声污染防治法》第四十三条",
}
EMAIL = "citizen@example.org"
OPENID = "hn-xfj/oABCDEF1234567890"


def citizen(case: Any) -> list[Notification]:
    return list(case.notifications.filter(audience=Audience.CITIZEN).order_by("pk"))


def staff(case: Any, template: str) -> list[Notification]:
    return list(case.notifications.filter(audience=Audience.STAFF, template=template))


def forwarded(world: World, **payload: Any) -> Any:
    case = make_case(**payload)
    case = case_register(case=case, actor=world.registrar)
    return case_forward(case=case, actor=world.registrar, to_org=world.housing, reason="属地主管")


def test_receipt_is_queued_by_the_intake_transaction(world: World) -> None:
    case = make_case()
    (row,) = Notification.objects.filter(case=case)
    assert (row.template, row.audience, row.medium, row.status) == (
        "received",
        Audience.CITIZEN,
        Medium.SMS,
        "pending",
    )
    assert row.address == VALID_PHONE
    assert row.language == "zh-hans"
    assert case.query_code in row.body
    assert row.url == f"http://127.0.0.1:8000/track/?code={case.query_code}"
    assert "李明" not in row.body + row.subject  # nothing the text need not say
    assert row.key == f"{row.event_id}:received:sms:{row.address_index}"


def test_a_rolled_back_change_leaves_no_notice(world: World) -> None:
    def submit_then_fail() -> None:
        with transaction.atomic():
            make_case()
            raise RuntimeError("the request failed after the petition was written")

    with pytest.raises(RuntimeError):
        submit_then_fail()
    assert not Notification.objects.exists()

    case = make_case()
    case = case_register(case=case, actor=world.registrar)

    def forward_then_fail() -> None:
        with transaction.atomic():
            case_forward(case=case, actor=world.registrar, to_org=world.housing)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        forward_then_fail()
    assert [n.template for n in Notification.objects.all()] == ["received"]


def test_the_same_event_is_never_queued_twice(world: World) -> None:
    case = forwarded(world)
    before = sorted(Notification.objects.values_list("key", flat=True))
    for event in case.events.all():
        outbox_record_event(event)
    assert sorted(Notification.objects.values_list("key", flat=True)) == before


def test_citizen_hears_each_milestone_and_units_their_assignment(world: World) -> None:
    w = world
    case = forwarded(w)
    case = case_accept(case=case, actor=w.handler)
    case = case_start(case=case, actor=w.handler)
    request = case_request(
        case=case,
        actor=w.handler,
        kind=RequestKind.EXTENSION,
        fields={"days": 30, "reason": "需要补充调查取证"},
    )
    case_request_decide(request=request, actor=w.leader, approve=True)
    case.refresh_from_db()
    request = case_request(case=case, actor=w.handler, kind=RequestKind.REPLY, fields=REPLY)
    case_request_decide(request=request, actor=w.leader, approve=True)

    rows = citizen(case)
    milestones = ["received", "forwarded", "accepted", "extended", "replied"]
    assert [n.template for n in rows] == milestones
    assert {n.medium for n in rows} == {Medium.SMS}
    by = {n.template: n for n in rows}
    assert "芙蓉区住房和城乡建设局" in by["forwarded"].body
    assert "需要补充调查取证" in by["extended"].body  # the reason, as Art. 34 requires
    window = CaseClock.objects.get(case=case, kind=ClockKind.REEXAM_WINDOW)
    until = timezone.localtime(window.due_at)
    assert f"{until.year}年{until.month}月{until.day}日" in by["replied"].body
    assert by["replied"].data["until"] == f"{until:%Y-%m-%d}"
    # The forwarding told the housing department's people; the bureau's registrar acted.
    assert {n.address for n in staff(case, "assignment")} == {
        "handler@gov.example",
        "leader@gov.example",
    }
    assignment = staff(case, "assignment")[0]
    assert assignment.url == f"http://127.0.0.1:8000/staff/cases/{case.pk}/"


def test_not_accepted_says_why_and_where_to_go(world: World) -> None:
    case = case_register(case=make_case(), actor=world.registrar)
    case_not_accept(
        case=case,
        actor=world.registrar,
        outcome=CaseStatus.NOTIFIED_REDIRECT,
        reason="属于市场监管部门职权",
        rule=NotAcceptRule.OUTSIDE_REMIT,
        target_org_name="芙蓉区市场监督管理局",
    )
    row = citizen(case)[-1]
    assert row.template == "not_accepted"
    assert "属于市场监管部门职权" in row.body
    assert "芙蓉区市场监督管理局" in row.body


def test_overdue_and_supervision_reach_the_unit_late_on_its_duty(world: World) -> None:
    case = forwarded(world)
    notice = CaseClock.objects.get(case=case, kind=ClockKind.NOTICE)
    assert notice.warn_at is not None
    sweep_run(now=notice.warn_at + timedelta(minutes=1))
    warnings = staff(case, "deadline_warning")
    # No handler is named before acceptance: the unit's handlers and its leader are told.
    assert {n.address for n in warnings} == {"handler@gov.example", "leader@gov.example"}
    assert all("受理告知期限" in n.subject for n in warnings)

    sweep_run(now=notice.due_at + timedelta(minutes=1))
    assert {n.address for n in staff(case, "overdue")} == {
        "handler@gov.example",
        "leader@gov.example",
    }
    supervision = staff(case, "supervision")
    assert supervision
    assert "催办" in supervision[0].subject
    assert case.events.filter(kind=EventKind.SUPERVISION).exists()


def test_a_citizen_who_wants_no_notices_still_gets_the_legal_ones(world: World) -> None:
    ChannelPreference.objects.create(
        phone_index=phone_index(VALID_PHONE), channel=PreferredChannel.NONE
    )
    case = forwarded(world)
    assert [n.template for n in citizen(case)] == ["forwarded"]  # no receipt, but Art. 23


def test_a_preferred_medium_without_an_address_falls_back_to_sms(world: World) -> None:
    ChannelPreference.objects.create(
        phone_index=phone_index(VALID_PHONE), channel=PreferredChannel.EMAIL
    )
    assert [n.medium for n in citizen(make_case())] == [Medium.SMS]


def test_mail_is_answered_by_mail_and_proxies_are_told_too(world: World) -> None:
    receipt = petition_submit(
        channel=Channel.MAILBOX,
        data=petition_payload(),
        contacts=[
            Contact(Medium.EMAIL, EMAIL),
            Contact(Medium.SMS, "13800001111", role=ContactRole.PROXY),
        ],
    )
    rows = citizen(receipt.case)
    assert [(n.template, n.medium, n.address) for n in rows] == [
        ("received", Medium.EMAIL, EMAIL),
        ("received", Medium.SMS, "13800001111"),
    ]
    assert rows[0].contact_point is not None
    assert rows[0].subject.startswith("【阳光信访】")


def test_the_citizens_choice_beats_the_channel_default(world: World) -> None:
    ChannelPreference.objects.create(
        phone_index=phone_index(VALID_PHONE), channel=PreferredChannel.SMS, language="en"
    )
    receipt = petition_submit(
        channel=Channel.MAILBOX, data=petition_payload(), contacts=[Contact(Medium.EMAIL, EMAIL)]
    )
    (row,) = citizen(receipt.case)
    assert (row.medium, row.language) == (Medium.SMS, "en")
    assert row.body.startswith("[Sunshine Petition] Your petition was received")


def test_anonymous_petitions_hear_only_on_what_they_gave(world: World) -> None:
    anonymous = petition_payload(anonymous=True)
    silent = petition_submit(channel=Channel.WEB, data=anonymous).case
    assert citizen(silent) == []
    receipt = petition_submit(
        channel=Channel.WECHAT, data=anonymous, contacts=[Contact(Medium.WECHAT, OPENID)]
    )
    (row,) = citizen(receipt.case)
    assert (row.medium, row.address) == (Medium.WECHAT, OPENID)
    assert row.data["query_code"] == receipt.case.query_code
    # A template message is short: the SMS text, also as the message's "remark" line.
    assert row.body.startswith("【阳光信访】您的信访事项已收到")
    assert row.data["remark"] == row.body


def test_english_at_submission_stays_english(world: World) -> None:
    from django.utils import translation

    with translation.override("en"):
        case = make_case()
    case = forwarded_case = case_register(case=case, actor=world.registrar)
    case_forward(case=forwarded_case, actor=world.registrar, to_org=world.housing)
    assert [n.language for n in citizen(case)] == ["en", "en"]
    assert "was forwarded to" in citizen(case)[1].body


def test_historical_imports_text_nobody(world: World, settings: Any) -> None:
    settings.XINFANG_NOTIFY_MAX_EVENT_AGE_HOURS = 1
    case = make_case()
    event = case.events.get(kind=EventKind.RECEIVED)
    Notification.objects.all().delete()
    event.created_at = timezone.now() - timedelta(hours=2)
    assert outbox_record_event(event) == 0


def test_one_delivery_job_per_transaction(
    world: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.XINFANG_NOTIFY_DELIVER_ON_COMMIT = True
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case = make_case()
        deliver_after_commit()
    assert len(callbacks) == 1
    # The immediate task back-end of the tests ran the job: the receipt went out (console SMS).
    assert Notification.objects.get(case=case).status == "sent"
