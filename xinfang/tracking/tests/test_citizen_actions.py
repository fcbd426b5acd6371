"""A petitioner acts on their own case from the tracking page: rate, ask for 复查, withdraw."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from xinfang.cases.models import Case, RequestKind
from xinfang.cases.services import case_register
from xinfang.cases.tests.factories import VALID_PHONE, make_case
from xinfang.cases.workflow import CaseStatus, CloseReason
from xinfang.handling.models import Rating, RatingValue, RevisitTask
from xinfang.handling.services import (
    case_accept,
    case_forward,
    case_request,
    case_request_decide,
    case_start,
)
from xinfang.handling.tests.world import World, build_world

REPLY = {
    "request": "诉求",
    "facts": "事实",
    "reasons": "理由",
    "outcome": "explain",
    "legal_basis": "依据",
}


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


def replied(w: World) -> Case:
    case = case_register(case=make_case(), actor=w.registrar)
    case = case_forward(case=case, actor=w.registrar, to_org=w.housing)
    case = case_start(case=case_accept(case=case, actor=w.handler), actor=w.handler)
    request = case_request(case=case, actor=w.handler, kind=RequestKind.REPLY, fields=REPLY)
    case_request_decide(request=request, actor=w.leader, approve=True)
    return Case.objects.get(pk=case.pk)


def look_up(client: Client, case: Case) -> Any:
    return client.post("/track/", {"query_code": case.query_code, "verify": VALID_PHONE[-4:]})


def act(client: Client, case: Case, action: str, **data: str) -> Any:
    return client.post("/track/act/", {"query_code": case.query_code, "action": action, **data})


def test_rating_needs_a_reason_when_dissatisfied_and_opens_a_revisit(
    world: World, client: Client
) -> None:
    case = replied(world)
    page = look_up(client, case)
    assert 'id="act-rate"' in page.content.decode()
    assert "信访处理意见书" in page.content.decode()  # the reply itself is readable
    refused = act(client, case, "rate", bureau="satisfied", unit="dissatisfied")
    assert refused.status_code == 400
    assert "不满意时请说明理由" in refused.content.decode()
    assert not Rating.objects.filter(case=case).exists()
    done = act(client, case, "rate", bureau="satisfied", unit="dissatisfied", reason="没解决")
    assert done.status_code == 302
    values = dict(Rating.objects.filter(case=case).values_list("party", "value"))
    assert values == {"bureau": RatingValue.SATISFIED, "unit": RatingValue.DISSATISFIED}
    assert RevisitTask.objects.filter(case=case, org=world.bureau, is_open=True).exists()
    # Rated once per reply.
    assert act(client, case, "rate", bureau="basic", unit="basic").status_code == 400


def test_reexam_request_goes_one_level_up(world: World, client: Client) -> None:
    case = replied(world)
    look_up(client, case)
    assert act(client, case, "reexam", reason="").status_code == 400
    assert act(client, case, "reexam", reason="不服处理意见").status_code == 302
    case.refresh_from_db()
    assert (case.status, case.holder_org) == (CaseStatus.REEXAM_REQUESTED, world.county_gov)


def test_acting_needs_a_verified_look_up_first(world: World, client: Client) -> None:
    case = replied(world)
    assert act(client, case, "withdraw", reason="不需要了").status_code == 403
    look_up(client, case)
    assert act(client, case, "withdraw", reason="不需要了").status_code == 302
    case.refresh_from_db()
    assert (case.status, case.close_reason) == (CaseStatus.CLOSED, CloseReason.WITHDRAWN)
