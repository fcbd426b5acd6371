"""The demo's channels: configured once, and the printed credentials work over HTTP."""

from __future__ import annotations

import io
import smtplib
import socket
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.test import Client

from xinfang.cases.models import Case, Channel
from xinfang.core.tests.browser import (
    reference_data,  # noqa: F401
    restore_reference_data,  # noqa: F401
)
from xinfang.demo import channels, units
from xinfang.grid.models import GridSystem, GridWorker
from xinfang.mailbox.models import Mailbox, MailboxMessage
from xinfang.mailbox.smtp import smtp_controller
from xinfang.open311.models import ApiKey
from xinfang.open311.selectors import service_list
from xinfang.orgs.models import Region, User
from xinfang.orgs.permissions import Role
from xinfang.wechat.models import WechatAccount

pytestmark = pytest.mark.django_db


def _demo() -> list[tuple[str, str]]:
    """The demo's units and accounts, then its channels, created twice."""
    if not Region.objects.exists():  # as seed_demo does
        call_command("regions_load", province="43", stdout=io.StringIO())
    units.units_create(progress=lambda _: None)
    units.accounts_create()
    channels.channels_create(progress=lambda _: None)
    return channels.channels_create(progress=lambda _: None)


@pytest.fixture
def lines(db: Any) -> list[tuple[str, str]]:
    return _demo()


def _printed(lines: list[tuple[str, str]], value: str) -> str:
    text = "\n".join(how for _, how in lines)
    assert value in text
    return value


def test_a_second_run_creates_nothing_twice(lines: list[tuple[str, str]]) -> None:
    assert WechatAccount.objects.get().code == "changsha"
    assert sorted(Mailbox.objects.values_list("name", "owner_org__code")) == [
        ("省长信箱", "430000-XFJ"),
        ("长沙市长信箱", "430100-XFJ"),
    ]
    assert ApiKey.objects.count() == 1
    assert GridSystem.objects.get().region.code == "430102"
    assert sorted(GridWorker.objects.values_list("external_id", flat=True)) == ["W001", "W002"]
    proxy = User.objects.get(username="proxy")
    assert proxy.memberships.filter(role=Role.PROXY_AGENT).exists()
    assert {name.split()[0] for name, _ in lines} >= {"WeChat", "Open311", "Grid", "Proxy"}


def test_the_printed_open311_key_makes_one_petition(
    lines: list[tuple[str, str]], client: Client
) -> None:
    key = _printed(lines, channels.OPEN311_KEY)
    code = _printed(lines, next(s.code for s in service_list() if s.group == "城乡建设"))
    body = {
        "api_key": key,
        "service_code": code,
        "address_string": "五一大道 1 号，芙蓉区，长沙市",
        "description": "五一大道人行道路面塌陷，存在安全隐患，请尽快修复。",
        "first_name": "明",
        "last_name": "李",
        "phone": "13907311234",
    }
    form = "application/x-www-form-urlencoded; charset=utf-8"
    response = client.post("/open311/v2/requests.json", urlencode(body), content_type=form)
    assert response.status_code == 200, response.content  # GeoReport answers 200, not 201
    case = Case.objects.get()
    assert (case.channel, case.region.code) == (Channel.OPEN311, "430102")
    assert response.json()[0]["service_request_id"]
    wrong = client.post(
        "/open311/v2/requests.json", urlencode({**body, "api_key": key + "x"}), content_type=form
    )
    assert wrong.status_code == 403
    assert Case.objects.count() == 1


def test_the_printed_grid_token_posts_an_event(
    lines: list[tuple[str, str]], client: Client
) -> None:
    token = _printed(lines, channels.GRID_TOKEN)
    event = {
        "event_id": "EV-DEMO-1",
        "grid_code": "430102001-01",
        "reporter": {"id": "W001", "name": "张网格", "phone": "13807310001"},
        "place": {"region_code": "430102", "address": "五一大道 100 号小区门口"},
        "category": "市容环境",
        "description": "小区门口垃圾堆放三天无人清运，居民反映强烈。",
        "occurred_at": "2026-11-27T09:30:00+08:00",
    }
    response = client.post(
        "/api/grid/v1/events",
        event,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.content
    assert Case.objects.get().channel == Channel.GRID
    refused = client.post(
        "/api/grid/v1/events",
        event,
        content_type="application/json",
        headers={"Authorization": "Bearer grid_wrong"},
    )
    assert refused.status_code == 401


def test_the_printed_wechat_url_check_answers(lines: list[tuple[str, str]], client: Client) -> None:
    text = "\n".join(how for _, how in lines)
    url = next(w for w in text.split() if w.startswith('"http') and "echostr" in w).strip('"')
    path = url.split("://", 1)[1].partition("/")[2]
    response = client.get(f"/{path}")
    assert response.status_code == 200
    assert response.content == b"hello"
    forged = client.get(f"/{path}".replace("nonce=demo", "nonce=other"))
    assert forged.status_code == 403


@pytest.mark.django_db(transaction=True)  # the receiver writes from its own thread
def test_mail_to_the_printed_mailbox_is_one_petition(reference_data: None) -> None:  # noqa: F811
    address = _printed(_demo(), "shengzhang@xinfang.localhost")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    controller = smtp_controller(host="127.0.0.1", port=port)
    controller.ready_timeout = 60.0  # a busy test machine may start the thread slowly
    controller.start()
    try:
        # The printed smtplib example, on this test's port.
        body = "Subject: road\n\nRoad broken on Wuyi Avenue, please fix."
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.sendmail("citizen@example.com", [address], body)
    finally:
        controller.stop()
    message = MailboxMessage.objects.select_related("case", "owner_org").get()
    assert message.case.channel == Channel.MAILBOX
    assert message.owner_org.code == "430000-XFJ"
    assert message.case.register_org.code == "430000-XFJ"  # the mailbox's owner registers it
    assert message.case.region.code == "430000"
