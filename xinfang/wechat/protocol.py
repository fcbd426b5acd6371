"""The official-account server protocol on the wire: signatures, safe-mode envelopes, XML.

Everything here is about bytes WeChat sends and expects; what a message means is services.py's
business. A request is authentic when `signature` = sha1(sorted(token, timestamp, nonce)); in safe
mode (encrypt_type=aes) the body is an <Encrypt> envelope whose `msg_signature` also covers the
ciphertext, and the AES key decrypts it to the same XML plain mode sends. The reply goes back
encrypted the same way.

The plain signature does not cover the body, so a signed query string seen once (plain mode is
readable on the wire) could carry any message. Hence a POST must be fresh (timestamp within
MAX_SKEW) and a nonce seen before must come with the same message: that is WeChat re-sending
(or a verbatim replay), which the delivery's unique key already answers with the stored reply
and nothing new. An account with an EncodingAESKey takes only encrypted messages unless it is
in compatible mode.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict
from django.core.cache import cache
from wechatpy import parse_message
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.replies import TextReply

from xinfang.core.errors import Msg
from xinfang.wechat.models import WechatAccount

BAD_SIGNATURE = Msg("签名校验失败。", "The signature does not match.")
MISSING_PARAMS = Msg(
    "缺少参数：signature、timestamp、nonce。", "Missing parameters: signature, timestamp, nonce."
)
BAD_XML = Msg("消息不是有效的微信 XML。", "The body is not a valid WeChat XML message.")
BAD_ENVELOPE = Msg("加密消息无法解密。", "The encrypted message cannot be decrypted.")
NO_AES_KEY = Msg(
    "该公众号未配置 EncodingAESKey，无法处理安全模式消息。",
    "This account has no EncodingAESKey configured, so safe-mode messages cannot be read.",
)
BAD_ENCRYPT_TYPE = Msg("不支持的 encrypt_type。", "Unsupported encrypt_type.")
STALE = Msg(
    "请求的时间戳无效或已超过5分钟。",
    "The request's timestamp is invalid or more than 5 minutes off.",
)
REPLAYED = Msg(
    "该请求已使用过（nonce 重复）。", "This request was already used (nonce seen before)."
)
PLAINTEXT_REFUSED = Msg(
    "该公众号为安全模式，只接受加密消息（encrypt_type=aes）。",
    "This account is in safe mode and accepts only encrypted messages (encrypt_type=aes).",
)

MAX_SKEW = 300  # seconds between WeChat's timestamp and our clock
NONCE_TTL = 600  # covers a timestamp's whole window of ±MAX_SKEW


class ProtocolError(Exception):
    """A request refused on the wire: 403 for authenticity, 400 for form."""

    def __init__(self, message: Msg, *, status: int) -> None:
        super().__init__(message.en)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Inbound:
    """One message or event, reduced to what the conversation needs.

    `key` names the delivery: MsgId for messages, FromUserName + CreateTime for events (which
    carry no MsgId), as WeChat's own de-duplication advice says.
    """

    openid: str
    account_id: str  # ToUserName: the account's original id (gh_…)
    kind: str  # text, image, location, voice …, or event:<subscribe|unsubscribe|click|view …>
    key: str
    create_time: int
    text: str = ""
    media_id: str = ""
    label: str = ""  # a location message's place description
    event_key: str = ""


@dataclass(frozen=True)
class Request:
    """The signed query parameters of one callback."""

    signature: str
    timestamp: str
    nonce: str
    encrypted: bool = False
    msg_signature: str = ""


def request_from_query(query: Mapping[str, str]) -> Request:
    signature, timestamp, nonce = (query.get(k, "") for k in ("signature", "timestamp", "nonce"))
    encrypt_type = query.get("encrypt_type", "raw") or "raw"
    if encrypt_type not in ("raw", "aes"):
        raise ProtocolError(BAD_ENCRYPT_TYPE, status=400)
    msg_signature = query.get("msg_signature", "")
    if not (timestamp and nonce and (signature or msg_signature)):
        raise ProtocolError(MISSING_PARAMS, status=403)
    return Request(signature, timestamp, nonce, encrypt_type == "aes", msg_signature)


def _crypto(account: WechatAccount) -> WeChatCrypto:
    if not account.encoding_aes_key:
        raise ProtocolError(NO_AES_KEY, status=400)
    return WeChatCrypto(account.token, account.encoding_aes_key, account.appid)


def _check_signature(given: str, *parts: str) -> None:
    """WeChat's signature: SHA-1 of the sorted parts, compared in constant time (wechatpy's own
    checks use !=)."""
    expected = hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324  # WeChat's
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise ProtocolError(BAD_SIGNATURE, status=403)


def _decrypt(account: WechatAccount, req: Request, encrypted: str) -> str:
    """An echostr or <Encrypt> value, once its msg_signature is checked."""
    crypto = _crypto(account)
    _check_signature(req.msg_signature, account.token, req.timestamp, req.nonce, encrypted)
    try:
        return str(PrpCrypto(crypto.key).decrypt(encrypted, account.appid))
    except InvalidAppIdException as exc:  # sealed for another account
        raise ProtocolError(BAD_SIGNATURE, status=403) from exc
    except (ValueError, IndexError, binascii.Error, UnicodeDecodeError, struct.error) as exc:
        raise ProtocolError(BAD_ENVELOPE, status=400) from exc


def verify_echo(account: WechatAccount, req: Request, echostr: str) -> str:
    """The URL check (GET): answer echostr. Official accounts sign it plainly; a safe-mode
    check carrying msg_signature has an encrypted echostr, answered decrypted. Neither writes
    anything nor reveals more when repeated, so no freshness is asked (the demo prints one)."""
    if not req.msg_signature:
        _check_signature(req.signature, account.token, req.timestamp, req.nonce)
        return echostr
    return _decrypt(account, req, echostr)


def _check_fresh(req: Request) -> None:
    try:
        skew = abs(time.time() - int(req.timestamp))
    except ValueError as exc:
        raise ProtocolError(STALE, status=403) from exc
    if skew > MAX_SKEW:
        raise ProtocolError(STALE, status=403)


def _check_nonce(account: WechatAccount, req: Request, xml: str) -> None:
    """Remember the nonce with a digest of the message it carried, and refuse it with another
    message (a signed query string reused for a forged body). The same message again is WeChat
    re-sending or a verbatim replay: accepted, as the delivery key makes it change nothing. In
    safe mode the digest is of the decrypted XML, the same however often it is re-sealed."""
    nonce = hashlib.sha256(req.nonce.encode()).hexdigest()[:32]  # any text; a safe cache key
    key = f"wechat:nonce:{account.pk}:{nonce}"
    digest = hashlib.sha256(xml.encode()).hexdigest()
    if not cache.add(key, digest, NONCE_TTL) and cache.get(key) != digest:
        raise ProtocolError(REPLAYED, status=403)


def _text(body: bytes | str) -> str:
    """The XML as text, refused before any parser sees it when it declares a DTD or entities
    (WeChat never sends one: it is an entity-expansion attempt or junk), is not UTF-8, or
    holds NUL (a UTF-16 document would hide its DOCTYPE from the check)."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise ProtocolError(BAD_XML, status=400) from exc
    lowered = text.lower()
    if "<!doctype" in lowered or "<!entity" in lowered or "\x00" in text:
        raise ProtocolError(BAD_XML, status=400)
    return text


def _envelope(text: str) -> str:
    try:
        return str(xmltodict.parse(text)["xml"]["Encrypt"])
    except (ExpatError, KeyError, TypeError, ValueError) as exc:
        raise ProtocolError(BAD_ENVELOPE, status=400) from exc


def open_body(account: WechatAccount, req: Request, body: bytes) -> Inbound:
    """Authenticate a POSTed message (fresh, its nonce not reused for another message),
    decrypt it in safe mode, and parse it."""
    text = _text(body)
    if req.signature or not req.encrypted:
        _check_signature(req.signature, account.token, req.timestamp, req.nonce)
    if not req.encrypted and account.encoding_aes_key and not account.compatible_mode:
        raise ProtocolError(PLAINTEXT_REFUSED, status=403)
    if req.encrypted:
        if not req.msg_signature:
            raise ProtocolError(BAD_SIGNATURE, status=403)
        _crypto(account)  # a clear 400 when no key is configured, before the envelope
        text = _decrypt(account, req, _envelope(text))
    _check_fresh(req)
    inbound = parse(text)
    _check_nonce(account, req, text)  # after parsing: junk does not use up a nonce
    return inbound


def parse(xml: bytes | str) -> Inbound:
    text = _text(xml)
    try:
        message = parse_message(text)
        if message is None:
            raise ValueError("empty body")
        return _inbound(message)
    except (ExpatError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProtocolError(BAD_XML, status=400) from exc


def _inbound(message: Any) -> Inbound:
    data: dict[str, Any] = message._data  # wechatpy keeps the parsed fields here
    openid = str(data["FromUserName"])
    create_time = int(data["CreateTime"])
    kind = str(data["MsgType"]).lower()
    if kind == "event":
        kind = f"event:{str(data.get('Event') or '').lower()}"
    msg_id = str(data.get("MsgId") or "")
    return Inbound(
        openid=openid,
        account_id=str(data.get("ToUserName") or ""),
        kind=kind,
        key=msg_id or f"{openid}:{create_time}",
        create_time=create_time,
        text=str(data.get("Content") or ""),
        media_id=str(data.get("MediaId") or ""),
        label=str(data.get("Label") or ""),
        event_key=str(data.get("EventKey") or ""),
    )


def render_reply(
    account: WechatAccount, req: Request, inbound: Inbound, text: str
) -> tuple[str, str]:
    """The passive reply (body, content type): "success" when there is nothing to say (WeChat's
    documented no-reply answer), else a text message, encrypted in safe mode."""
    if not text:
        return "success", "text/plain; charset=utf-8"
    now = int(time.time())
    # wechatpy's default CreateTime is fixed when its module loads, so it is always given here.
    xml = TextReply(source=inbound.account_id, target=inbound.openid, content=text, time=now)
    body = xml.render()
    if req.encrypted:
        body = _crypto(account).encrypt_message(body, req.nonce, str(now))
    return body, "application/xml; charset=utf-8"
