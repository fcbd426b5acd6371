"""Template messages sent to a local stand-in for api.weixin.qq.com."""

from __future__ import annotations

from typing import Any

import pytest

from xinfang.notify.backends import DeliveryError, Outgoing
from xinfang.wechat.notify_backend import TemplateBackend
from xinfang.wechat.tests.helpers import FakeWeChatApi

pytestmark = pytest.mark.django_db

SEND = "/cgi-bin/message/template/send"


def notice(address: str = "cs/oFollower1", template: str = "received") -> Outgoing:
    return Outgoing(
        medium="wechat",
        address=address,
        subject="您的信访事项已收到",
        body="我们将在规定期限内办理。",
        template=template,
        data={"first": "您的信访事项已收到", "keyword1": "XF2026-0001", "keyword2": "已收到"},
        url="https://xf.example.cn/track/?code=ABC",
    )


def test_template_message_goes_out_with_a_cached_token(
    account: Any, fake_api: FakeWeChatApi
) -> None:
    backend = TemplateBackend()
    backend.send(notice())
    backend.send(notice(template="replied"))
    assert fake_api.paths() == ["/cgi-bin/token", SEND, SEND]
    _, query, body = fake_api.requests[1]
    assert query["access_token"] == ["TOKEN-1"]
    assert body == {
        "touser": "oFollower1",
        "template_id": "TPL-RECEIVED",
        "url": "https://xf.example.cn/track/?code=ABC",
        "data": {
            "first": {"value": "您的信访事项已收到"},
            "keyword1": {"value": "XF2026-0001"},
            "keyword2": {"value": "已收到"},
        },
    }
    assert fake_api.requests[2][2]["template_id"] == "TPL-REPLIED"
    token_query = fake_api.requests[0][1]
    assert token_query["appid"] == ["wx0123456789abcdef"]
    assert token_query["grant_type"] == ["client_credential"]


@pytest.mark.parametrize("errcode", [43004, 40003, 43101])
def test_unreachable_follower_is_a_permanent_failure(
    account: Any, fake_api: FakeWeChatApi, errcode: int
) -> None:
    fake_api.template_answers.append({"errcode": errcode, "errmsg": "no"})
    with pytest.raises(DeliveryError) as exc:
        TemplateBackend().send(notice())
    assert exc.value.permanent
    assert str(errcode) in str(exc.value)


@pytest.mark.parametrize("errcode", [-1, 45009])
def test_busy_or_rate_limited_is_retried_later(
    account: Any, fake_api: FakeWeChatApi, errcode: int
) -> None:
    fake_api.template_answers.append({"errcode": errcode, "errmsg": "busy"})
    with pytest.raises(DeliveryError) as exc:
        TemplateBackend().send(notice())
    assert not exc.value.permanent


def test_an_expired_token_is_renewed_and_the_message_sent(
    account: Any, fake_api: FakeWeChatApi
) -> None:
    fake_api.template_answers.append({"errcode": 42001, "errmsg": "access_token expired"})
    TemplateBackend().send(notice())
    assert fake_api.paths() == ["/cgi-bin/token", SEND, "/cgi-bin/token", SEND]
    assert fake_api.requests[3][1]["access_token"] == ["TOKEN-2"]


def test_a_wrong_secret_is_retried_not_dropped(account: Any, fake_api: FakeWeChatApi) -> None:
    account.app_secret = "wrong"
    account.save()
    with pytest.raises(DeliveryError) as exc:
        TemplateBackend().send(notice())
    assert not exc.value.permanent  # an administrator can fix the secret
    assert "40125" in str(exc.value)


def test_unreachable_api_is_transient(account: Any, settings: Any) -> None:
    settings.XINFANG_WECHAT_API_BASE = "http://127.0.0.1:9/cgi-bin/"
    with pytest.raises(DeliveryError) as exc:
        TemplateBackend().send(notice(address="cs/oOther"))
    assert not exc.value.permanent


@pytest.mark.parametrize(
    ("address", "template"),
    [("no-slash", "received"), ("nope/oF1", "received"), ("cs/oF1", "unknown-milestone")],
)
def test_bad_addresses_and_missing_templates_are_permanent(
    account: Any, fake_api: FakeWeChatApi, address: str, template: str
) -> None:
    with pytest.raises(DeliveryError) as exc:
        TemplateBackend().send(notice(address=address, template=template))
    assert exc.value.permanent
    assert fake_api.requests == []
