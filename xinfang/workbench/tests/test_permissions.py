"""Permission matrix: every workbench page and API endpoint, for every role.

One case registered by the county bureau and forwarded to the housing department. The
expectations are written out by hand from the rules (DESIGN invariant 4, DOMAIN §3), not read
from the code under test: who sees the case (else 404), which queues each role has (else 404),
and which actions each role is offered (any other action is refused with 403).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from xinfang.cases.models import Case
from xinfang.cases.services import case_register
from xinfang.cases.tests.factories import make_case
from xinfang.handling.selectors import Queue
from xinfang.handling.services import case_forward
from xinfang.handling.tests.world import World
from xinfang.orgs.models import OrgKind
from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_org, make_staff
from xinfang.signin.tests.helpers import force_login_verified
from xinfang.workbench.actions import ACTIONS

Q = Queue
HANDLER_QUEUES = {Q.SIGN, Q.HANDLE, Q.DUE_SOON, Q.OVERDUE, Q.SUPERVISED}
# role name → (sees the case, queues, actions offered on the forwarded case)
MATRIX: dict[str, tuple[bool, set[Queue], set[str]]] = {
    "registrar": (
        True,
        {Q.REGISTER, Q.ROUTE, Q.DUE_SOON, Q.OVERDUE, Q.APPROVE, Q.REVIEW},
        {"withdraw"},
    ),
    "handler": (True, HANDLER_QUEUES, {"accept", "object"}),
    "leader": (True, HANDLER_QUEUES | {Q.APPROVE, Q.REVIEW}, {"accept", "object"}),
    "supervisor": (True, {Q.OVERDUE, Q.SUPERVISED}, {"supervise"}),
    "revisit": (True, {Q.REVISIT}, set()),
    "county_leader": (False, HANDLER_QUEUES | {Q.APPROVE, Q.REVIEW}, set()),
    "other_handler": (False, HANDLER_QUEUES, set()),
    "analyst": (False, set(), set()),
    "sysadmin": (False, set(), set()),
    "auditor": (False, set(), set()),
    "proxy": (False, set(), set()),
}


@pytest.fixture
def forwarded(world: World) -> tuple[World, Case, dict[str, Any]]:
    case = case_register(case=make_case(), actor=world.registrar)
    case = case_forward(case=case, actor=world.registrar, to_org=world.housing)
    other = make_org(region_code="430102", parent=world.county_gov, name="芙蓉区教育局")
    people = {
        "registrar": world.registrar,
        "handler": world.handler,
        "leader": world.leader,
        "supervisor": world.supervisor,
        "revisit": world.revisit,
        "county_leader": world.county_leader,
        "other_handler": make_staff(org=other, role=Role.HANDLER),
        "analyst": make_staff(org=world.bureau, role=Role.ANALYST),
        "sysadmin": make_staff(org=world.bureau, role=Role.ADMIN),
        "auditor": make_staff(org=world.bureau, role=Role.AUDITOR),
        "proxy": make_staff(
            org=make_org(kind=OrgKind.COMMUNITY, region_code="430102"), role=Role.PROXY_AGENT
        ),
    }
    return world, case, people


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_matrix(forwarded: tuple[World, Case, dict[str, Any]], role: str) -> None:
    _world, case, people = forwarded
    sees, queues, offered = MATRIX[role]
    client = Client()
    force_login_verified(client, people[role])
    assert client.get("/staff/").status_code == 200
    for q in Queue:
        expected = 200 if q in queues else 404
        assert client.get(f"/staff/queue/{q}/").status_code == expected, q
        assert client.get(f"/api/v1/staff/queues/{q}").status_code == expected, q
    page = client.get(f"/staff/cases/{case.pk}/")
    api = client.get(f"/api/v1/staff/cases/{case.pk}")
    document = case.documents.get()
    assert client.get(f"/staff/documents/{document.pk}/print/").status_code == (
        200 if sees else 404
    )
    if not sees:
        assert (page.status_code, api.status_code) == (404, 404)
        for name in ACTIONS:
            assert client.post(f"/staff/cases/{case.pk}/actions/{name}/").status_code == 404
            url = f"/api/v1/staff/cases/{case.pk}/actions/{name}"
            assert client.post(url, {}, content_type="application/json").status_code == 404
        assert client.post(f"/staff/cases/{case.pk}/reveal/").status_code == 404
        return
    assert page.status_code == 200
    html = page.content.decode()
    shown = {name for name in ACTIONS if f'data-action="{name}"' in html}
    assert shown == offered
    assert set(api.json()["actions"]) == offered
    for name in set(ACTIONS) - offered:
        assert client.post(f"/staff/cases/{case.pk}/actions/{name}/").status_code == 403, name
        url = f"/api/v1/staff/cases/{case.pk}/actions/{name}"
        assert client.post(url, {}, content_type="application/json").status_code == 403, name
    # Only the unit head of the unit that must contact the petitioner sees identities.
    assert client.post(f"/staff/cases/{case.pk}/reveal/").status_code == (
        200 if role == "leader" else 403
    )
    assert Case.objects.get(pk=case.pk).status == case.status  # nothing refused moved it


def test_anonymous_visitors_are_sent_to_sign_in(forwarded: Any, client: Client) -> None:
    _world, case, _people = forwarded
    for url in ("/staff/", "/staff/queue/register/", f"/staff/cases/{case.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/auth/login/")
    assert client.post(f"/staff/cases/{case.pk}/actions/register/").status_code == 302
    assert client.post("/staff/bulk/", {"action": "register"}).status_code == 302
    assert client.get("/api/v1/staff/queues/register").status_code == 403
    assert client.get(f"/api/v1/staff/cases/{case.pk}").status_code == 403


def test_a_leader_without_the_second_factor_is_stopped(forwarded: Any, client: Client) -> None:
    world, case, _people = forwarded
    client.force_login(world.leader)
    assert client.get(f"/staff/cases/{case.pk}/")["Location"].startswith("/staff/auth/otp")
    assert client.get(f"/api/v1/staff/cases/{case.pk}").status_code == 403
