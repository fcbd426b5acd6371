"""The link to the pre-filled H5 form: bound to one follower by a signed, expiring token."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core.cache import cache
from django.test import Client

from xinfang.cases.models import Case
from xinfang.notify.models import ContactPoint
from xinfang.wechat.models import Conversation, Step
from xinfang.wechat.selectors import link_token
from xinfang.wechat.tests.helpers import Follower, make_account
from xinfang.wechat.tests.test_conversation import fill_until_images

pytestmark = pytest.mark.django_db


def form_path(reply: str) -> str:
    match = re.search(r'<a href="([^"]+)">', reply)
    assert match, reply
    url = urlparse(html.unescape(match.group(1)))
    return f"{url.path}?{url.query}"


def fields(**overrides: Any) -> dict[str, Any]:
    data = {
        "form_token": "h5-token-1",
        "region_code": "430102",
        "petition_type": "appeal",
        "title": "小区门口路灯长期不亮",
        "content": "五一路附近路灯坏了两个月，晚上出行很不安全，请尽快修复。",
        "name": "李四",
        "phone": "13907311234",
    }
    return data | overrides


def test_link_opens_the_form_prefilled_with_the_draft(client: Client, account: Any) -> None:
    follower = Follower(client)
    path = form_path(follower.say("我要信访"))
    follower.say("1")
    follower.say("小区门口路灯长期不亮")
    page = client.get(path)
    assert page.status_code == 200
    assert 'value="小区门口路灯长期不亮"' in page.content.decode()


def test_form_submission_is_one_wechat_petition_with_the_followers_address(
    client: Client, account: Any
) -> None:
    follower = Follower(client)
    path = form_path(follower.say("我要信访"))
    follower.say("1")
    web = Client()  # the follower's browser inside WeChat
    response = web.post(path, fields())
    assert response.status_code == 302
    assert web.post(path, fields()).status_code == 302  # a double tap
    case = Case.objects.get()
    assert case.channel == "wechat"
    point = ContactPoint.objects.get(case=case)
    assert point.address == f"cs/{follower.openid}"
    receipt = web.get(response["Location"]).content.decode()
    assert case.item_number in receipt
    assert case.query_code in receipt
    # The chat's draft was used up: finishing it later cannot file the matter twice.
    assert Conversation.objects.get(openid=follower.openid).step == Step.IDLE
    assert case.item_number in follower.say("查询进度")


def test_form_errors_are_shown_and_nothing_is_written(client: Client, account: Any) -> None:
    path = form_path(Follower(client).say("我要信访"))
    response = client.post(path, fields(title="", phone="123"))
    assert response.status_code == 400
    assert "请填写标题" in response.content.decode()
    assert not Case.objects.exists()


def test_forged_expired_or_foreign_links_are_refused(
    client: Client, account: Any, settings: Any
) -> None:
    other = make_account("yy", appid="wx00000000000000ff")
    foreign = link_token(account=other, openid="oX1")
    assert client.get(f"/wechat/cs/form/?t={foreign}").status_code == 403
    assert client.get("/wechat/cs/form/?t=forged").status_code == 403
    assert client.get("/wechat/cs/form/").status_code == 403
    token = link_token(account=account, openid="oX1")
    assert client.get(f"/wechat/cs/form/?t={token}").status_code == 200
    settings.XINFANG_WECHAT_LINK_MAX_AGE = -1
    response = client.post(f"/wechat/cs/form/?t={token}", fields())
    assert response.status_code == 403
    assert "链接已失效" in response.content.decode()
    assert not Case.objects.exists()


def test_the_forwardable_link_does_not_show_the_phone(client: Client, account: Any) -> None:
    # Anyone the link is forwarded to can open it until it expires: the phone is typed again.
    follower = Follower(client)
    path = form_path(follower.say("我要信访"))
    fill_until_images(follower, identity="张三 13907311234")
    page = client.get(path).content.decode()
    assert "13907311234" not in page
    assert 'value="张三"' in page


def test_the_link_expires_after_two_hours_by_default(client: Client, account: Any) -> None:
    assert "链接2小时内有效" in Follower(client).say("我要信访")


def test_long_form_tokens_are_not_cut_into_one_key(client: Client, account: Any) -> None:
    # Two form tokens sharing their first 128 characters are two submissions, not one.
    path = form_path(Follower(client).say("我要信访"))
    shared = "x" * 130
    assert client.post(path, fields(form_token=shared + "1")).status_code == 302
    second = fields(form_token=shared + "2", title="另一处路灯也长期不亮")
    assert client.post(path, second).status_code == 302
    assert Case.objects.count() == 2


def test_a_forwarded_link_is_held_to_the_portals_hourly_limit(
    client: Client, account: Any, settings: Any
) -> None:
    settings.XINFANG_SUBMIT_MAX_PER_HOUR = 1
    cache.clear()
    follower = Follower(client)
    path = form_path(follower.say("我要信访"))
    web = Client()
    assert web.post(path, fields(form_token="t-1")).status_code == 302
    refused = web.post(path, fields(form_token="t-2", title="另一件事情：楼道灯坏了"))
    assert refused.status_code == 429
    assert "另一件事情：楼道灯坏了" in refused.content.decode()  # what was typed is kept
    assert Case.objects.count() == 1
