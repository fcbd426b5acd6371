"""The HTTP SMS adapter against a real HTTP server on a local port."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from xinfang.citizens.sms import HttpSmsBackend, SmsError, sms_backend


class Gateway(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:  # http.server's naming
        length = int(self.headers["Content-Length"])
        Gateway.received.append(
            {
                "auth": self.headers["Authorization"],
                "type": self.headers["Content-Type"],
                "body": json.loads(self.rfile.read(length)),
            }
        )
        self.send_response(Gateway.status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:  # quiet
        pass


@pytest.fixture
def gateway(settings: Any) -> Iterator[type[Gateway]]:
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Gateway.received = []
    Gateway.status = 200
    settings.XINFANG_SMS_BACKEND = "xinfang.citizens.sms.HttpSmsBackend"
    settings.XINFANG_SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.XINFANG_SMS_GATEWAY_TOKEN = "t0ken"
    settings.XINFANG_SMS_GATEWAY_TIMEOUT = 5
    yield Gateway
    server.shutdown()
    server.server_close()


def test_posts_json_with_the_token(gateway: type[Gateway]) -> None:
    backend = sms_backend()
    assert isinstance(backend, HttpSmsBackend)
    backend.send(phone="13907311234", message="验证码 123456")
    assert gateway.received == [
        {
            "auth": "Bearer t0ken",
            "type": "application/json",
            "body": {"phone": "13907311234", "message": "验证码 123456"},
        }
    ]


def test_a_refusal_is_an_sms_error(gateway: type[Gateway]) -> None:
    gateway.status = 503
    with pytest.raises(SmsError, match="503"):
        sms_backend().send(phone="13907311234", message="x")


def test_an_unreachable_gateway_is_an_sms_error(settings: Any) -> None:
    settings.XINFANG_SMS_BACKEND = "xinfang.citizens.sms.HttpSmsBackend"
    settings.XINFANG_SMS_GATEWAY_URL = "http://127.0.0.1:9/send"  # discard port: nothing listens
    settings.XINFANG_SMS_GATEWAY_TIMEOUT = 2
    with pytest.raises(SmsError):
        sms_backend().send(phone="13907311234", message="x")


@pytest.mark.django_db
def test_a_failed_send_leaves_no_code_and_says_so(gateway: type[Gateway], client: Any) -> None:
    from xinfang.citizens.models import OneTimeCode

    gateway.status = 500
    answer = client.post("/me/login/", {"phone": "13907311234", "action": "send"})
    assert answer.status_code == 503
    assert "短信发送失败" in answer.content.decode()
    assert not OneTimeCode.objects.exists()
    assert 'value="13907311234"' in answer.content.decode()


def test_deploy_check_warns_of_a_development_backend(settings: Any) -> None:
    from xinfang.citizens.checks import sms_backend_check

    settings.XINFANG_SMS_BACKEND = "xinfang.citizens.sms.ConsoleSmsBackend"
    assert [w.id for w in sms_backend_check(None)] == ["citizens.W001"]
    settings.XINFANG_SMS_BACKEND = "xinfang.citizens.sms.HttpSmsBackend"
    assert sms_backend_check(None) == []
