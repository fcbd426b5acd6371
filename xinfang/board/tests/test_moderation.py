"""The moderation queue over real HTTP: who sees what, and what each button does."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from xinfang.board.models import Publication, PublicationStatus
from xinfang.board.services import publication_approve, publication_propose
from xinfang.board.tests.replied import NAME, opinion_issued_case
from xinfang.handling.tests.world import World, build_world
from xinfang.orgs.models import OrgKind, User
from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_org, make_staff
from xinfang.signin.tests.helpers import force_login_verified

QUEUE = "/staff/board/"


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


@pytest.fixture
def pending(world: World) -> Publication:
    publication = publication_propose(case=opinion_issued_case(world))
    assert publication is not None
    return publication


def client_for(user: User) -> Client:
    client = Client()
    force_login_verified(client, user)
    return client


def approve_data(publication: Publication, **changes: str) -> dict[str, str]:
    v = publication.versions.order_by("-number").first()
    assert v is not None
    data = {"title": v.title, "content": v.content, "reply": v.reply, "note": ""}
    data.update(changes)
    return {f"approve-{k}": value for k, value in data.items()}


def test_anonymous_visitors_are_sent_to_sign_in(pending: Publication) -> None:
    for url in (QUEUE, f"{QUEUE}{pending.pk}/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/auth/login/")
    assert Client().post(f"{QUEUE}{pending.pk}/approve/").status_code == 302
    pending.refresh_from_db()
    assert pending.status == PublicationStatus.PENDING


def test_the_regions_supervisor_sees_the_redacted_proposal_only(
    world: World, pending: Publication
) -> None:
    client = client_for(world.supervisor)
    queue = client.get(QUEUE)
    assert queue.status_code == 200
    assert pending.case.item_number in queue.content.decode()
    page = client.get(f"{QUEUE}{pending.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "[手机号]" in html
    assert "[车牌号]" in html
    for value in ("13907311234", NAME, "湘A12345", "liming@163.com"):
        assert value not in html
    counts = html.split('data-testid="redaction-counts"')[1].split("</ul>")[0]
    assert "姓名：3" in counts
    assert "电话号码：1" in counts
    assert 'data-status="pending"' in html


def test_others_neither_see_nor_reach_it(world: World, pending: Publication) -> None:
    other_bureau = make_org(kind=OrgKind.PETITION_BUREAU, region_code="430103", name="天心区信访局")
    other = make_staff(org=other_bureau, role=Role.BUREAU_SUPERVISOR)
    for user in (world.registrar, world.handler, world.leader, other):
        client = client_for(user)
        assert pending.case.item_number not in client.get(QUEUE).content.decode()
        assert client.get(f"{QUEUE}{pending.pk}/").status_code == 404
        response = client.post(f"{QUEUE}{pending.pk}/approve/", approve_data(pending))
        assert response.status_code == 404
    pending.refresh_from_db()
    assert pending.status == PublicationStatus.PENDING


def test_approve_with_an_edit_publishes_it(world: World, pending: Publication) -> None:
    client = client_for(world.supervisor)
    data = approve_data(pending, content="某工地每晚十点后仍在施工。", note="删去住址")
    response = client.post(f"{QUEUE}{pending.pk}/approve/", data)
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}{pending.pk}/"
    pending.refresh_from_db()
    assert (pending.status, pending.version) == (PublicationStatus.PUBLISHED, 2)
    assert pending.content == "某工地每晚十点后仍在施工。"
    page = client.get(f"{QUEUE}{pending.pk}/").content.decode()
    assert f'href="/board/{pending.pk}/"' in page
    assert "某工地每晚十点后仍在施工。" in Client().get(f"/board/{pending.pk}/").content.decode()
    assert pending.case.item_number not in client.get(QUEUE).content.decode()


def test_an_untouched_text_sent_back_with_crlf_is_no_edit(
    world: World, pending: Publication
) -> None:
    data = approve_data(pending)
    data["approve-reply"] = data["approve-reply"].replace("\n", "\r\n") + "\r\n"
    assert (
        client_for(world.supervisor).post(f"{QUEUE}{pending.pk}/approve/", data).status_code == 302
    )
    pending.refresh_from_db()
    assert (pending.status, pending.version, pending.versions.count()) == ("published", 1, 1)


def test_an_edit_with_a_phone_number_is_refused_with_the_field_marked(
    world: World, pending: Publication
) -> None:
    client = client_for(world.supervisor)
    data = approve_data(pending, reply="请拨打0731-84567890咨询。")
    response = client.post(f"{QUEUE}{pending.pk}/approve/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "仍含有个人信息：电话号码" in html
    pending.refresh_from_db()
    assert (pending.status, pending.versions.count()) == (PublicationStatus.PENDING, 1)


def test_reject_and_withdraw_need_a_reason(world: World, pending: Publication) -> None:
    client = client_for(world.supervisor)
    assert client.post(f"{QUEUE}{pending.pk}/reject/", {"reject-reason": ""}).status_code == 400
    response = client.post(f"{QUEUE}{pending.pk}/reject/", {"reject-reason": "内容涉及隐私"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == PublicationStatus.REJECTED
    # Rejected: approving now is a conflict, shown on the page, not a crash.
    response = client.post(f"{QUEUE}{pending.pk}/approve/", approve_data(pending))
    assert response.status_code == 409
    assert "状态已变化" in response.content.decode()


def test_withdraw_takes_the_public_page_down(world: World, pending: Publication) -> None:
    publication_approve(publication=pending, actor=world.supervisor)
    assert Client().get(f"/board/{pending.pk}/").status_code == 200
    client = client_for(world.supervisor)
    response = client.post(f"{QUEUE}{pending.pk}/withdraw/", {"withdraw-reason": "信访人申请"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == PublicationStatus.WITHDRAWN
    assert Client().get(f"/board/{pending.pk}/").status_code == 404
    page = client.get(f"{QUEUE}{pending.pk}/").content.decode()
    assert 'data-status="withdrawn"' in page
    assert 'data-version="1"' in page


def test_unknown_actions_and_gets_are_refused(world: World, pending: Publication) -> None:
    client = client_for(world.supervisor)
    assert client.post(f"{QUEUE}{pending.pk}/publish/", {}).status_code == 404
    assert client.get(f"{QUEUE}{pending.pk}/approve/").status_code == 405
    assert client.get(f"{QUEUE}999999/").status_code == 404


def test_the_nav_links_the_queue(world: World) -> None:
    html = client_for(world.registrar).get("/staff/").content.decode()
    assert f'href="{QUEUE}"' in html


def test_a_superuser_sees_every_region(pending: Publication) -> None:
    admin = User.objects.create_superuser(username="root", password="x")
    assert pending.case.item_number in client_for(admin).get(QUEUE).content.decode()


def test_a_withdrawn_publication_can_be_requeued_and_approved_again(
    world: World, pending: Publication
) -> None:
    publication_approve(publication=pending, actor=world.supervisor)
    client = client_for(world.supervisor)
    client.post(f"{QUEUE}{pending.pk}/withdraw/", {"withdraw-reason": "信访人申请"})
    assert client.post(f"{QUEUE}{pending.pk}/requeue/", {"requeue-reason": ""}).status_code == 400
    response = client.post(f"{QUEUE}{pending.pk}/requeue/", {"requeue-reason": "信访人重新同意"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == PublicationStatus.PENDING
    assert Client().get(f"/board/{pending.pk}/").status_code == 404  # not public until approved
    assert pending.case.item_number in client.get(QUEUE).content.decode()
    assert client.post(f"{QUEUE}{pending.pk}/approve/", approve_data(pending)).status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.version) == (PublicationStatus.PUBLISHED, 1)
    actions = list(
        pending.case.events.filter(kind="note").values_list("payload__action", flat=True)
    )
    assert actions == ["propose", "approve", "withdraw", "requeue", "approve"]
