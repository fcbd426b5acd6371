"""The server URL on the wire: URL verification, signatures, safe mode, malformed bodies."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import pytest
import xmltodict
from django.test import Client
from wechatpy.crypto import PrpCrypto, WeChatCrypto, _get_signature

from xinfang.cases.models import Case
from xinfang.wechat.models import Conversation, Delivery
from xinfang.wechat.protocol import MAX_SKEW
from xinfang.wechat.tests.helpers import (
    AES_KEY,
    APPID,
    TOKEN,
    Follower,
    make_account,
    message_xml,
    sign,
)

pytestmark = pytest.mark.django_db


def assert_nothing_written() -> None:
    assert not Delivery.objects.exists()
    assert not Conversation.objects.exists()
    assert not Case.objects.exists()


def test_url_verification_echoes_echostr(client: Client, account: Any) -> None:
    q = {"signature": sign(TOKEN, "1700000000", "abc"), "timestamp": "1700000000", "nonce": "abc"}
    response = client.get(f"/wechat/cs/?{urlencode(q | {'echostr': '5837397520'})}")
    assert response.status_code == 200
    assert response.content == b"5837397520"


def test_url_verification_with_a_wrong_signature_is_refused(client: Client, account: Any) -> None:
    q = {"signature": sign("other-token", "1700000000", "abc"), "timestamp": "1700000000"}
    response = client.get(f"/wechat/cs/?{urlencode(q | {'nonce': 'abc', 'echostr': 'x'})}")
    assert response.status_code == 403
    assert "签名校验失败" in response.content.decode()
    assert client.get("/wechat/cs/?echostr=x").status_code == 403  # no signature at all


def test_safe_mode_url_verification_decrypts_echostr(client: Client, account: Any) -> None:
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    echostr = PrpCrypto(crypto.key).encrypt("echo-1234", APPID).decode()
    q = {"timestamp": "1700000000", "nonce": "n1", "echostr": echostr}
    q["msg_signature"] = _get_signature(TOKEN, "1700000000", "n1", echostr)
    response = client.get(f"/wechat/cs/?{urlencode(q)}")
    assert response.status_code == 200
    assert response.content == b"echo-1234"


def test_unknown_or_inactive_account_is_404(client: Client, account: Any) -> None:
    assert client.get("/wechat/nope/").status_code == 404
    account.is_active = False
    account.save()
    assert client.get("/wechat/cs/").status_code == 404


def test_subscribe_gets_the_welcome_as_a_passive_text_reply(client: Client, account: Any) -> None:
    follower = Follower(client)
    reply = follower.send("event", event=True, Event="subscribe", EventKey="")
    assert "欢迎关注" in reply
    assert "我要信访" in reply


def test_safe_mode_message_is_decrypted_and_the_reply_encrypted(
    client: Client, account: Any
) -> None:
    follower = Follower(client, encrypted=True)
    response = follower.delivery("event", event=True, Event="subscribe").post()
    assert b"<Encrypt>" in response.content
    assert "欢迎关注".encode() not in response.content
    assert "欢迎关注" in follower.redeliver()


def test_bad_signature_on_a_message_is_refused_and_nothing_is_written(
    client: Client, account: Any
) -> None:
    follower = Follower(client)
    delivery = follower.delivery("text", Content="我要信访")
    q = delivery.query() | {"signature": "0" * 40}
    response = client.post(f"/wechat/cs/?{urlencode(q)}", delivery.body(), content_type="text/xml")
    assert response.status_code == 403
    assert_nothing_written()


def test_safe_mode_with_a_forged_msg_signature_is_refused(client: Client, account: Any) -> None:
    delivery = Follower(client, encrypted=True).delivery("text", Content="我要信访")
    q = delivery.query() | {"encrypt_type": "aes", "msg_signature": "f" * 40}
    response = client.post(f"/wechat/cs/?{urlencode(q)}", delivery.body(), content_type="text/xml")
    assert response.status_code == 403
    assert_nothing_written()


def test_a_message_for_another_account_does_not_open(client: Client, account: Any) -> None:
    # Same token, but the envelope is sealed for another appid: it is not this account's mail.
    make_account("yy", appid="wx00000000000000ff")
    delivery = Follower(client, "yy", encrypted=True).delivery("text", Content="我要信访")
    response = delivery.post()
    assert response.status_code == 403
    assert_nothing_written()


def test_malformed_xml_is_a_400(client: Client, account: Any) -> None:
    delivery = Follower(client).delivery("text", Content="x")
    for body in ("<xml><ToUserName>", "not xml", "<xml><Content>no type</Content></xml>", ""):
        delivery.xml = body
        response = delivery.post()
        assert response.status_code == 400, body
        assert "XML" in response.content.decode()
    assert_nothing_written()


def test_entity_expansion_is_refused(client: Client, account: Any) -> None:
    delivery = Follower(client).delivery("text", Content="x")
    delivery.xml = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName>"
        "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&b;</Content><MsgId>1</MsgId></xml>"
    )
    response = delivery.post()
    assert response.status_code == 400
    assert_nothing_written()


def test_safe_mode_without_an_aes_key_is_a_clear_400(client: Client, db: Any) -> None:
    make_account(aes=False)
    delivery = Follower(client, encrypted=True)
    d = delivery.delivery("text", Content="我要信访")
    # Sealed with the test key, but the account has none configured.
    response = d.post()
    assert response.status_code == 400
    assert "EncodingAESKey" in response.content.decode()
    assert_nothing_written()


def test_unsupported_encrypt_type_is_a_400(client: Client, account: Any) -> None:
    delivery = Follower(client).delivery("text", Content="x")
    q = delivery.query() | {"encrypt_type": "rot13"}
    response = client.post(f"/wechat/cs/?{urlencode(q)}", delivery.body(), content_type="text/xml")
    assert response.status_code == 400
    assert_nothing_written()


def test_other_message_types_get_a_hint(client: Client, account: Any) -> None:
    follower = Follower(client)
    assert "暂不支持" in follower.send("voice", MediaId="m1", Format="amr")
    assert follower.send("event", event=True, Event="VIEW", EventKey="https://x") == ""
    xml = message_xml("o1", "text", msg_id=1, create_time=1, Content="你好")
    assert "我要信访" in Follower(client).say("你好")
    assert xml  # the helper builds WeChat's element order


def test_a_dtd_in_the_encrypted_envelope_is_refused_before_parsing(
    client: Client, account: Any
) -> None:
    # msg_signature covers only the <Encrypt> value, so a DOCTYPE around a genuine envelope
    # would reach the envelope's parser if the raw body were not checked first.
    delivery = Follower(client, encrypted=True).delivery("text", Content="我要信访")
    body = delivery.body()
    q = delivery.query() | {
        "encrypt_type": "aes",
        "msg_signature": xmltodict.parse(body)["xml"]["MsgSignature"],
    }
    doctype = '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">]>'
    response = client.post(f"/wechat/cs/?{urlencode(q)}", doctype + body, content_type="text/xml")
    assert response.status_code == 400
    assert "XML" in response.content.decode()
    assert_nothing_written()


# Ten seconds past the window each way: a timestamp is whole seconds and the request takes
# time, so one second past it (301) was sometimes read as 300 and accepted.
@pytest.mark.parametrize(
    "skew", [-MAX_SKEW - 10, MAX_SKEW + 10, None], ids=["old", "future", "not-a-number"]
)
def test_a_message_with_a_stale_timestamp_is_refused(
    client: Client, account: Any, skew: int | None
) -> None:
    delivery = Follower(client).delivery("text", Content="我要信访")
    delivery.timestamp = "soon" if skew is None else str(int(time.time()) + skew)
    response = delivery.post()  # correctly signed, timestamp included
    assert response.status_code == 403
    assert "时间戳" in response.content.decode()
    assert_nothing_written()


def test_a_used_signature_cannot_carry_another_message(client: Client, account: Any) -> None:
    # Plain mode's signature covers token, timestamp and nonce only: someone who read one
    # request on the wire must not reuse its query string to ask for another follower's
    # petitions or form link.
    first = Follower(client).delivery("text", Content="我要信访")
    assert first.post().status_code == 200
    forged = Follower(client).delivery("text", Content="查询进度")
    forged.nonce, forged.timestamp = first.nonce, first.timestamp
    response = forged.post()
    assert response.status_code == 403
    assert "nonce" in response.content.decode()
    assert Delivery.objects.count() == 1
    assert Conversation.objects.count() == 1


def test_a_resent_request_gets_the_stored_reply_and_changes_nothing(
    client: Client, account: Any
) -> None:
    # Same nonce, same message: WeChat re-sending (or a verbatim replay within 5 minutes).
    follower = Follower(client, encrypted=True)  # re-sealed each time, same message inside
    reply = follower.say("我要信访")
    version = Conversation.objects.get().version
    assert follower.redeliver() == reply
    assert Delivery.objects.count() == 1
    assert Conversation.objects.get().version == version


def test_a_safe_mode_account_refuses_plaintext(client: Client, db: Any) -> None:
    make_account(compatible=False)
    response = Follower(client).delivery("text", Content="我要信访").post()
    assert response.status_code == 403
    assert "安全模式" in response.content.decode()
    assert_nothing_written()
    assert "信访类型" in Follower(client, encrypted=True).say("我要信访")


def test_a_compatible_mode_account_takes_both(client: Client, db: Any) -> None:
    make_account(compatible=True)
    assert "信访类型" in Follower(client).say("我要信访")
    assert "信访类型" in Follower(client, encrypted=True).say("我要信访")


def test_a_plain_mode_account_takes_plaintext(client: Client, db: Any) -> None:
    make_account(aes=False)
    assert "信访类型" in Follower(client).say("我要信访")
