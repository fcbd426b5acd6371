"""The agent's entry screen over the real HTTP stack: look-up, hints, saving exactly once,
and the two dispositions (direct answer, dispatch) carried out by the workbench's actions."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.test import Client

from xinfang.cases.models import Case, Channel, EventKind
from xinfang.cases.tests.factories import VALID_PHONE, make_case
from xinfang.cases.workflow import CaseStatus, CloseReason
from xinfang.handling.tests.world import World
from xinfang.hotline.models import Disposition, WorkOrder
from xinfang.orgs.models import User
from xinfang.orgs.tests.factories import make_bureau
from xinfang.signin.tests.helpers import force_login_verified

pytestmark = pytest.mark.django_db

URL = "/staff/hotline/"


def as_user(user: User) -> Client:
    client = Client()
    force_login_verified(client, user)
    return client


def call(form: str = "tok-1", **overrides: str) -> dict[str, str]:
    data = {
        "form_token": form,
        "phone": "13807310001",
        "name": "王先生",
        "address": "",
        "petition_type": "consultation",
        "region_code": "430102",
        "content": "请问新生儿医保怎么办理，需要带哪些材料，在哪里办？",
        "title": "",
        "category_code": "",
        "disposition": "saved",
        "answer": "",
        "to_org": "",
        "note": "",
    }
    data.update(overrides)
    return data


def hotline() -> list[Case]:
    return list(Case.objects.filter(channel=Channel.HOTLINE))


def test_the_screen_is_for_registrars_and_built_for_the_keyboard(world: World) -> None:
    page = as_user(world.registrar).get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="phone"' in html
    assert (
        "autofocus"
        in html.split('name="phone"')[0].rsplit("<input", 1)[1]
        + html.split('name="phone"')[1].split(">", 1)[0]
    )
    for key in ('accesskey="p"', 'accesskey="c"', 'accesskey="1"', 'accesskey="s"'):
        assert key in html
    assert "Ctrl+Enter" in html
    assert as_user(world.handler).get(URL).status_code == 403
    assert Client().get(URL).status_code == 302  # to the sign-in page


def test_caller_look_up_shows_only_petitions_the_agent_may_read(world: World) -> None:
    mine = make_case(petitioner={"name": "李明", "phone": VALID_PHONE})
    make_bureau("430103")
    elsewhere = make_case(region_code="430103", petitioner={"name": "李明", "phone": VALID_PHONE})
    agent = as_user(world.registrar)
    html = agent.post(f"{URL}caller/", {"phone": VALID_PHONE}).content.decode()
    assert mine.item_number in html
    assert elsewhere.item_number not in html
    other = agent.post(f"{URL}caller/", {"phone": "13800000000"}).content.decode()
    assert mine.item_number not in other
    assert "没有您可查看的以往信访件" in other


def test_look_ups_post_so_numbers_and_text_stay_out_of_access_logs(world: World) -> None:
    """Access logs keep the query string: a phone number or petition text must not be in it."""
    agent = Client(enforce_csrf_checks=True)
    force_login_verified(agent, world.registrar)
    page = agent.get(URL).content.decode()
    assert f'hx-post="{URL}caller/"' in page
    assert f'hx-post="{URL}hint/"' in page
    assert "hx-get" not in page
    token = agent.cookies["csrftoken"].value
    for path in ("caller/", "hint/"):
        assert agent.get(f"{URL}{path}", {"phone": VALID_PHONE}).status_code == 405
        assert agent.post(f"{URL}{path}", {"phone": VALID_PHONE}).status_code == 403  # no token
        answer = agent.post(f"{URL}{path}", {"phone": VALID_PHONE}, HTTP_X_CSRFTOKEN=token)
        assert answer.status_code == 200


def test_the_hint_suggests_a_unit_while_typing(world: World) -> None:
    page = as_user(world.registrar).post(
        f"{URL}hint/",
        {"content": "小区旁边工地夜间施工噪音扰民，影响休息", "region_code": "430102"},
    )
    assert page.status_code == 200
    # No dispatch rule in this world: the county government (兜底).
    assert "芙蓉区人民政府" in page.content.decode()
    short = as_user(world.registrar).post(f"{URL}hint/", {"content": "噪音"})
    assert "hint-lead" not in short.content.decode()


def test_a_double_submit_saves_one_petition(world: World) -> None:
    agent = as_user(world.registrar)
    first = agent.post(URL, call())
    assert first.status_code == 302
    second = agent.post(URL, call())
    assert second.status_code == 302
    cases = hotline()
    assert len(cases) == 1
    case = cases[0]
    assert case.status == CaseStatus.RECEIVED
    assert case.idempotency_key == "hotline:tok-1"
    order = WorkOrder.objects.get(case=case)
    assert order.agent == world.registrar
    assert order.disposition == Disposition.SAVED
    page = agent.get(URL).content.decode()
    assert "该来电此前已保存" in page
    assert case.item_number in page
    # A new form (new token) is a new call.
    assert agent.post(URL, call("tok-2")).status_code == 302
    assert len(hotline()) == 2


def test_a_form_token_that_is_not_ascii_still_saves_once(world: World) -> None:
    agent = as_user(world.registrar)
    assert agent.post(URL, call("表单 令牌")).status_code == 302
    assert agent.post(URL, call("表单 令牌")).status_code == 302
    (case,) = hotline()
    digest = hashlib.sha256("表单 令牌".encode()).hexdigest()
    assert case.idempotency_key == f"hotline:h:{digest}"


def test_a_call_without_title_whose_first_line_is_a_greeting_saves(world: World) -> None:
    content = "您好\n请问新生儿医保怎么办理，需要带哪些材料，在哪里办？"
    assert as_user(world.registrar).post(URL, call(content=content)).status_code == 302
    assert hotline()[0].title == "热线来电：您好"


def test_bad_input_is_refused_with_field_messages(world: World) -> None:
    agent = as_user(world.registrar)
    page = agent.post(URL, call(content="太短", phone="12345", disposition="direct_answer"))
    assert page.status_code == 400
    html = page.content.decode()
    assert "直接答复须填写答复内容" in html
    assert html.count("field-error") >= 3  # content, phone, answer
    assert hotline() == []


def test_a_consultation_answered_on_the_phone_is_closed(world: World) -> None:
    agent = as_user(world.registrar)
    answer = "新生儿医保可在社区服务中心办理，带户口簿和出生医学证明。"
    assert agent.post(URL, call(disposition="direct_answer", answer=answer)).status_code == 302
    case = hotline()[0]
    assert case.status == CaseStatus.CLOSED
    assert case.close_reason == CloseReason.ADVICE_REPLIED
    assert case.events.filter(to_status=CaseStatus.CLOSED, reason=answer).exists()
    assert WorkOrder.objects.get(case=case).disposition == Disposition.DIRECT_ANSWER


def test_a_complaint_answered_on_the_phone_stays_registered_with_a_note(world: World) -> None:
    agent = as_user(world.registrar)
    data = call(petition_type="appeal", disposition="direct_answer", answer="已解释相关政策。")
    assert agent.post(URL, data).status_code == 302
    case = hotline()[0]
    assert case.status == CaseStatus.REGISTERED
    note = case.events.get(kind=EventKind.NOTE)
    assert note.payload["direct_answer"] == "已解释相关政策。"
    assert note.actor == world.registrar


def test_dispatch_registers_and_forwards(world: World) -> None:
    agent = as_user(world.registrar)
    data = call(
        petition_type="appeal",
        content="小区旁边工地夜间施工噪音扰民，影响休息，请查处。",
        disposition="dispatch",
        to_org=world.housing.code,
        note="请核实处理",
    )
    assert agent.post(URL, data).status_code == 302
    case = hotline()[0]
    assert case.status == CaseStatus.FORWARDED
    assert case.lead_org == world.housing
    assert WorkOrder.objects.get(case=case).disposition == Disposition.DISPATCH
    statuses = list(case.events.filter(kind=EventKind.STATUS).values_list("to_status", flat=True))
    assert statuses == [CaseStatus.REGISTERED, CaseStatus.FORWARDED]


def test_dispatch_for_another_bureaus_region_is_refused_before_saving(world: World) -> None:
    make_bureau("430103")
    data: dict[str, Any] = call(region_code="430103", disposition="dispatch")
    data["to_org"] = world.housing.code
    page = as_user(world.registrar).post(URL, data)
    assert page.status_code == 400
    assert "只能保存" in page.content.decode()
    assert hotline() == []
    # Saving it is fine: the other bureau registers it.
    assert as_user(world.registrar).post(URL, call(region_code="430103")).status_code == 302
    assert hotline()[0].register_org.region.code == "430103"
