"""The official-account server protocol on the wire: signatures, safe-mode envelopes, XML.

Everything here is about bytes WeChat sends and expects; what a message means is services.py's
business. A request is authentic when `signature` = sha1(sorted(token, timestamp, nonce)); in safe
mode (encrypt_type=aes) the body is an <Encrypt> envelope whose `msg_signature` also covers the
ciphertext, and the AES key decrypts it to the same XML plain mode sends. The reply goes back
encrypted the same way.
"""

from __future__ import annotations

import binascii
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.parsers.expat import ExpatError

from wechatpy import parse_message
from wechatpy.crypto import PrpCrypto, WeChatCrypto, _get_signature
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

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


def _check_plain(account: WechatAccount, req: Request) -> None:
    try:
        check_signature(account.token, req.signature, req.timestamp, req.nonce)
    except InvalidSignatureException as exc:
        raise ProtocolError(BAD_SIGNATURE, status=403) from exc


def verify_echo(account: WechatAccount, req: Request, echostr: str) -> str:
    """The URL check (GET): answer echostr. Official accounts sign it plainly; a safe-mode
    check carrying msg_signature has an encrypted echostr, answered decrypted."""
    if not req.msg_signature:
        _check_plain(account, req)
        return echostr
    crypto = _crypto(account)
    if _get_signature(account.token, req.timestamp, req.nonce, echostr) != req.msg_signature:
        raise ProtocolError(BAD_SIGNATURE, status=403)
    try:
        return str(PrpCrypto(crypto.key).decrypt(echostr, account.appid))
    except InvalidAppIdException as exc:
        raise ProtocolError(BAD_SIGNATURE, status=403) from exc
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ProtocolError(BAD_ENVELOPE, status=400) from exc


def open_body(account: WechatAccount, req: Request, body: bytes) -> Inbound:
    """Authenticate a POSTed message, decrypt it in safe mode, and parse it."""
    if req.signature or not req.encrypted:
        _check_plain(account, req)
    xml: Any = body
    if req.encrypted:
        if not req.msg_signature:
            raise ProtocolError(BAD_SIGNATURE, status=403)
        try:
            xml = _crypto(account).decrypt_message(
                body, req.msg_signature, req.timestamp, req.nonce
            )
        except (InvalidSignatureException, InvalidAppIdException) as exc:
            raise ProtocolError(BAD_SIGNATURE, status=403) from exc
        except (ExpatError, KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise ProtocolError(BAD_ENVELOPE, status=400) from exc
    return parse(xml)


def parse(xml: bytes | str) -> Inbound:
    text = xml.decode("utf-8", "replace") if isinstance(xml, bytes) else xml
    # WeChat never sends a DTD; one in a body is an entity-expansion attempt or junk.
    if "<!doctype" in text.lower() or "<!entity" in text.lower():
        raise ProtocolError(BAD_XML, status=400)
    try:
        message = parse_message(xml)
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
