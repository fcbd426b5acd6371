"""Proxy submission through the web form, as a signed-in proxy agent."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from xinfang.cases.models import Attachment, Case, CaseEvent
from xinfang.grid.models import ProxyAuthorisation
from xinfang.handling.tests.world import World
from xinfang.intake.tests.test_api import PNG
from xinfang.notify.models import ContactPoint
from xinfang.orgs.models import User
from xinfang.orgs.tests.factories import make_staff
from xinfang.signin.tests.helpers import force_login_verified

pytestmark = pytest.mark.django_db
NEW = "/proxy/new/"


def as_user(user: User) -> Client:
    client = Client()
    force_login_verified(client, user)
    return client


def form(**overrides: Any) -> dict[str, Any]:
    data = {
        "form_token": "tok-1",
        "region_code": "430102",
        "petition_type": "appeal",
        "title": "独居老人房屋漏雨",
        "content": "社区独居老人李奶奶家屋顶漏雨半年，多次反映未解决，请帮助维修。",
        "name": "李秀英",
        "phone": "13907311234",
        "relation": "lawyer",
        "petitioner_consent": "on",
        "agent_phone": "13807319999",
        "agent_email": "agent@example.org",
    }
    data.update(overrides)
    return data


def power_of_attorney() -> SimpleUploadedFile:
    return SimpleUploadedFile("授权委托书.png", PNG, content_type="image/png")


def test_lawyer_submits_with_power_of_attorney(agent: User) -> None:
    client = as_user(agent)
    assert "代理关系" in client.get(NEW).content.decode()
    response = client.post(NEW, {**form(), "authorisation_document": power_of_attorney()})
    assert response.status_code == 302, response.content.decode()
    case = Case.objects.get()
    assert case.channel == "proxy"
    assert case.petitioners.get().name == "李秀英"  # the petitioner stays the data subject
    auth = ProxyAuthorisation.objects.get(case=case)
    assert (auth.agent, auth.relation, auth.petitioner_consent) == (agent, "lawyer", True)
    assert auth.document == Attachment.objects.get(case=case)
    assert auth.document.original_name == "授权委托书.png"
    assert auth.agent_org is not None
    assert auth.agent_org.name == "某社区居委会"
    contacts = {(c.medium, c.address, c.role) for c in ContactPoint.objects.filter(case=case)}
    assert contacts == {
        ("sms", "13907311234", "petitioner"),
        ("sms", "13807319999", "proxy"),
        ("email", "agent@example.org", "proxy"),
    }
    note = CaseEvent.objects.get(case=case, kind="note")
    assert note.actor == agent
    assert "律师" in note.reason
    # The agent lands on the petition's progress page, and finds it in their list.
    page = client.get(response["Location"]).content.decode()
    assert case.item_number in page
    assert case.query_code in page
    assert case.item_number in client.get("/proxy/").content.decode()


def test_double_submit_makes_one_petition(agent: User) -> None:
    client = as_user(agent)
    for _ in range(2):
        client.post(NEW, {**form(), "authorisation_document": power_of_attorney()})
    assert Case.objects.count() == 1
    assert ProxyAuthorisation.objects.count() == 1


@pytest.mark.parametrize("relation", ["lawyer", "relative"])
def test_lawyer_or_relative_without_document_is_refused(agent: User, relation: str) -> None:
    response = as_user(agent).post(NEW, form(relation=relation, title=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="authorisation_document-error"' in html
    assert "须上传信访人签署的授权委托书" in html
    assert 'id="title-error"' in html  # the petition's own errors are shown at the same time
    assert Case.objects.count() == 0


def test_grid_worker_without_document_states_a_reason(agent: User) -> None:
    client = as_user(agent)
    refused = client.post(NEW, form(relation="grid_worker"))
    assert refused.status_code == 400
    assert 'id="no_document_reason-error"' in refused.content.decode()
    reason = "老人不识字，由网格员上门核实后代为提交"
    response = client.post(NEW, form(relation="grid_worker", no_document_reason=reason))
    assert response.status_code == 302
    auth = ProxyAuthorisation.objects.get()
    assert auth.document is None
    assert auth.no_document_reason == reason


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"petitioner_consent": ""}, "petitioner_consent"),
        ({"relation": "neighbour"}, "relation"),
        ({"agent_phone": "12345"}, "agent_phone"),
        ({"agent_phone": "", "agent_email": ""}, "agent_phone"),
        ({"agent_email": "not-an-address"}, "agent_email"),
    ],
)
def test_authorisation_field_errors(agent: User, change: dict[str, Any], field: str) -> None:
    body = {**form(**change), "authorisation_document": power_of_attorney()}
    response = as_user(agent).post(NEW, body)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.content.decode()
    assert Case.objects.count() == 0


def test_proxy_petitions_are_not_anonymous(agent: User) -> None:
    body = {**form(anonymous="on"), "authorisation_document": power_of_attorney()}
    response = as_user(agent).post(NEW, body)
    assert response.status_code == 400
    assert "代理信访须实名" in response.content.decode()


def test_staff_who_are_not_proxy_agents_are_refused(world: World) -> None:
    client = as_user(world.registrar)
    assert client.get(NEW).status_code == 403
    assert client.get("/proxy/").status_code == 403
    response = client.post(NEW, {**form(), "authorisation_document": power_of_attorney()})
    assert response.status_code == 403
    assert Case.objects.count() == 0


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, world: World) -> None:
    response = client.get(NEW)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/auth/login/")


def test_an_agent_sees_only_their_own_petitions(agent: User, world: World) -> None:
    as_user(agent).post(NEW, {**form(), "authorisation_document": power_of_attorney()})
    case = Case.objects.get()
    other = make_staff(org=agent.memberships.get().org, role=agent.memberships.get().role)
    client = as_user(other)
    assert case.item_number not in client.get("/proxy/").content.decode()
    assert client.get(f"/proxy/cases/{case.pk}/").status_code == 404


def test_each_filled_in_form_is_one_petition_however_long_its_token(agent: User) -> None:
    """Two long form tokens that share a beginning are two forms, not one."""
    client = as_user(agent)
    for token in ("t" * 200 + "1", "t" * 200 + "2"):
        body = {**form(form_token=token), "authorisation_document": power_of_attorney()}
        assert client.post(NEW, body).status_code == 302
    assert Case.objects.count() == 2


def test_an_agent_who_lost_the_role_no_longer_sees_their_petitions(agent: User) -> None:
    client = as_user(agent)
    client.post(NEW, {**form(), "authorisation_document": power_of_attorney()})
    case = Case.objects.get()
    assert client.get(f"/proxy/cases/{case.pk}/").status_code == 200
    agent.memberships.update(is_active=False)
    assert client.get("/proxy/").status_code == 403
    assert client.get(f"/proxy/cases/{case.pk}/").status_code == 403
