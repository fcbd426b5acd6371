"""WeChat as the tests see it: a test account, signed deliveries on the real wire format, and a
local HTTP server standing in for api.weixin.qq.com (the only thing faked)."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse
from xml.sax.saxutils import escape

import xmltodict
from django.test import Client
from wechatpy.crypto import WeChatCrypto

from xinfang.orgs.tests.factories import make_bureau, region
from xinfang.wechat.models import WechatAccount

TOKEN = "xinfang-test-token"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")  # 43 characters
APPID = "wx0123456789abcdef"
SECRET = "test-app-secret"
ORIGINAL_ID = "gh_0123456789ab"

_ids = itertools.count(6_900_000_000_000_000_000)


def make_account(
    code: str = "cs", *, appid: str = APPID, aes: bool = True, compatible: bool = True
) -> WechatAccount:
    """A Changsha account; with a key it is in compatible mode unless told otherwise, so one
    account takes both the plain and the safe-mode followers of a test."""
    make_bureau("430100")  # the city bureau receives for all of Changsha
    return WechatAccount.objects.create(
        compatible_mode=aes and compatible,
        code=code,
        name="长沙信访",
        appid=appid,
        app_secret=SECRET,
        token=TOKEN,
        encoding_aes_key=AES_KEY if aes else "",
        region=region("430100"),
        templates={"received": "TPL-RECEIVED", "replied": "TPL-REPLIED"},
    )


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324  # WeChat's scheme


def message_xml(
    openid: str, msg_type: str, *, msg_id: int | None, create_time: int, **fields: Any
) -> str:
    """A message as WeChat posts it (element order as in WeChat's documentation)."""
    body = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    msg_id_xml = f"<MsgId>{msg_id}</MsgId>" if msg_id is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[{ORIGINAL_ID}]]></ToUserName>"
        f"<FromUserName><![CDATA[{escape(openid)}]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
        f"{body}{msg_id_xml}</xml>"
    )


@dataclass
class Delivery:
    """One POST as WeChat's server makes it; `post()` again is a redelivery."""

    client: Client
    code: str
    xml: str
    encrypted: bool
    nonce: str = field(default_factory=lambda: f"n{next(_ids) % 10**9}")
    timestamp: str = field(default_factory=lambda: str(int(time.time())))

    def query(self) -> dict[str, str]:
        q = {"signature": sign(TOKEN, self.timestamp, self.nonce), "timestamp": self.timestamp}
        q |= {"nonce": self.nonce, "openid": "x"}
        return q

    def body(self) -> str:
        if not self.encrypted:
            return self.xml
        crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
        return crypto.encrypt_message(self.xml, self.nonce, self.timestamp)

    def post(self) -> Any:
        q = self.query()
        body = self.body()
        if self.encrypted:
            envelope = xmltodict.parse(body)["xml"]
            q |= {"encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]}
        return self.client.post(
            f"/wechat/{self.code}/?{urlencode(q)}", body, content_type="text/xml"
        )


def reply_text(response: Any, *, encrypted: bool) -> str:
    """The text of a passive reply ('' for WeChat's "success"), decrypted in safe mode."""
    assert response.status_code == 200, response.content
    raw = response.content.decode()
    if raw == "success":
        return ""
    data = xmltodict.parse(raw)["xml"]
    if encrypted:
        crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
        plain = crypto.decrypt_message(raw, data["MsgSignature"], data["TimeStamp"], data["Nonce"])
        data = xmltodict.parse(plain)["xml"]
    assert data["MsgType"] == "text"
    assert data["ToUserName"]
    assert data["FromUserName"] == ORIGINAL_ID
    return str(data["Content"])


class Follower:
    """A WeChat user talking to an account: each call is one new delivery."""

    def __init__(
        self, client: Client, code: str = "cs", *, openid: str = "", encrypted: bool = False
    ) -> None:
        self.client = client
        self.code = code
        self.openid = openid or f"oXF{next(_ids)}"
        self.encrypted = encrypted
        self.last: Delivery | None = None

    def delivery(self, msg_type: str, *, event: bool = False, **fields: Any) -> Delivery:
        msg_id = None if event else next(_ids)
        create_time = int(time.time()) + next(_ids) % 1000  # events are named by CreateTime
        xml = message_xml(self.openid, msg_type, msg_id=msg_id, create_time=create_time, **fields)
        self.last = Delivery(self.client, self.code, xml, self.encrypted)
        return self.last

    def send(self, msg_type: str, *, event: bool = False, **fields: Any) -> str:
        response = self.delivery(msg_type, event=event, **fields).post()
        return reply_text(response, encrypted=self.encrypted)

    def say(self, text: str) -> str:
        return self.send("text", Content=text)

    def redeliver(self) -> str:
        assert self.last is not None
        return reply_text(self.last.post(), encrypted=self.encrypted)

    def click(self, key: str) -> str:
        return self.send("event", event=True, Event="CLICK", EventKey=key)


@dataclass
class FakeWeChatApi:
    """api.weixin.qq.com on loopback: token, media download, template send. Tests script the
    template answers (errcodes) and read what was requested."""

    server: ThreadingHTTPServer
    requests: list[tuple[str, dict[str, list[str]], Any]] = field(default_factory=list)
    template_answers: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, bytes] = field(default_factory=dict)
    tokens: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/"

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.requests]


def _handler(api: FakeWeChatApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # http.server's signature
            pass

        def _answer(self, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, data: dict[str, Any]) -> None:
            self._answer(json.dumps(data).encode())

        def do_GET(self) -> None:  # http.server's naming
            url = urlparse(self.path)
            query = parse_qs(url.query)
            api.requests.append((url.path, query, None))
            if url.path == "/cgi-bin/token":
                if query.get("secret") != [SECRET]:
                    self._json({"errcode": 40125, "errmsg": "invalid appsecret"})
                else:
                    self._json({"access_token": f"TOKEN-{next(api.tokens)}", "expires_in": 7200})
            elif url.path == "/cgi-bin/media/get":
                content = api.media.get(query.get("media_id", [""])[0])
                if content is None:
                    self._json({"errcode": 40007, "errmsg": "invalid media_id"})
                else:
                    self._answer(content, "image/png")
            else:
                self.send_error(404)

        def do_POST(self) -> None:  # http.server's naming
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            api.requests.append((url.path, parse_qs(url.query), body))
            if url.path == "/cgi-bin/message/template/send":
                answer = api.template_answers.pop(0) if api.template_answers else {}
                self._json({"errcode": 0, "errmsg": "ok", "msgid": 1} | answer)
            else:
                self.send_error(404)

    return Handler


def start_fake_api() -> FakeWeChatApi:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    api = FakeWeChatApi(server)
    server.RequestHandlerClass = _handler(api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return api
