"""Signing in by phone: codes, their lifetime, tries, single use and the send limits."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from xinfang.citizens.models import OneTimeCode
from xinfang.citizens.services import OtpThrottled, otp_send, otp_verify, phone_index
from xinfang.citizens.tests.helpers import FILE_BACKEND, last_code
from xinfang.core.errors import FieldErrors

pytestmark = pytest.mark.django_db

PHONE = "13907311234"


@pytest.fixture
def outbox(settings: Any, tmp_path: Path) -> Path:
    settings.XINFANG_SMS_BACKEND = FILE_BACKEND
    settings.XINFANG_SMS_FILE_DIR = tmp_path / "sms"
    return tmp_path / "sms"


def _errors(exc: FieldErrors) -> dict[str, list[str]]:
    return {k: [m.zh for m in v] for k, v in exc.errors.items()}


def test_a_code_signs_in_once_and_nothing_readable_is_stored(outbox: Path) -> None:
    otp_send(phone="+86 139 0731 1234", client="10.0.0.1")
    code = last_code(outbox, PHONE)
    row = OneTimeCode.objects.get()
    assert row.phone_index == phone_index(PHONE)  # the index Petitioner.phone_index holds
    assert code not in row.code_digest
    assert PHONE not in row.phone_index
    assert PHONE not in (outbox / "outbox.jsonl").read_text()  # masked in the outbox too
    assert otp_verify(phone=PHONE, code=code, client="10.0.0.1") == phone_index(PHONE)
    with pytest.raises(FieldErrors) as again:
        otp_verify(phone=PHONE, code=code, client="10.0.0.1")
    assert _errors(again.value) == {"code": ["验证码已失效或已使用，请重新获取。"]}


def test_a_code_expires_after_five_minutes(outbox: Path) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        otp_send(phone=PHONE, client="10.0.0.1")
    code = last_code(outbox, PHONE)
    late_clock = time_machine.travel(start + timedelta(seconds=301), tick=False)
    with late_clock, pytest.raises(FieldErrors) as late:
        otp_verify(phone=PHONE, code=code, client="10.0.0.1")
    assert "code" in late.value.errors
    with time_machine.travel(start + timedelta(seconds=299), tick=False):
        assert otp_verify(phone=PHONE, code=code, client="10.0.0.1")


def test_five_wrong_tries_kill_the_code(outbox: Path) -> None:
    otp_send(phone=PHONE, client="10.0.0.1")
    code = last_code(outbox, PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        with pytest.raises(FieldErrors) as exc:
            otp_verify(phone=PHONE, code=wrong, client="10.0.0.1")
        assert _errors(exc.value) == {"code": ["验证码不正确。"]}
    with pytest.raises(FieldErrors) as exc:
        otp_verify(phone=PHONE, code=code, client="10.0.0.1")  # even the right one now
    assert _errors(exc.value) == {"code": ["验证码输错次数过多，请重新获取。"]}
    assert OneTimeCode.objects.get().attempts == 5


def test_a_new_code_replaces_the_old_one(outbox: Path) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        otp_send(phone=PHONE, client="10.0.0.1")
    first = last_code(outbox, PHONE)
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        otp_send(phone=PHONE, client="10.0.0.1")
        second = last_code(outbox, PHONE)
        if first != second:
            with pytest.raises(FieldErrors):
                otp_verify(phone=PHONE, code=first, client="10.0.0.1")
        assert otp_verify(phone=PHONE, code=second, client="10.0.0.1")


def test_malformed_input_is_a_field_error(outbox: Path) -> None:
    with pytest.raises(FieldErrors) as exc:
        otp_send(phone="0731-1234567", client="10.0.0.1")  # a landline gets no SMS
    assert list(exc.value.errors) == ["phone"]
    with pytest.raises(FieldErrors) as exc:
        otp_verify(phone=PHONE, code="12ab", client="10.0.0.1")
    assert list(exc.value.errors) == ["code"]
    assert not OneTimeCode.objects.exists()


def test_one_code_a_minute_and_five_an_hour_per_phone(outbox: Path) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        otp_send(phone=PHONE, client="10.0.0.1")
        with pytest.raises(OtpThrottled) as exc:
            otp_send(phone=PHONE, client="10.0.0.2")
    assert exc.value.wait_seconds == 60
    assert _errors(exc.value) == {"phone": ["获取验证码过于频繁，请 60 秒后再试。"]}
    for minute in range(1, 5):
        with time_machine.travel(start + timedelta(minutes=minute, seconds=1), tick=False):
            otp_send(phone=PHONE, client="10.0.0.1")
    later = time_machine.travel(start + timedelta(minutes=10), tick=False)
    with later, pytest.raises(OtpThrottled) as exc:
        otp_send(phone=PHONE, client="10.0.0.1")
    assert exc.value.wait_seconds == 50 * 60  # until the first of the five is an hour old
    with time_machine.travel(start + timedelta(hours=1, seconds=1), tick=False):
        otp_send(phone=PHONE, client="10.0.0.1")
    assert OneTimeCode.objects.count() == 6


def test_twenty_codes_an_hour_per_client(outbox: Path) -> None:
    for n in range(20):
        otp_send(phone=f"139073{n:05d}", client="10.0.0.9")
    with pytest.raises(OtpThrottled):
        otp_send(phone="13800000000", client="10.0.0.9")
    otp_send(phone="13800000000", client="10.0.0.8")


def test_sign_in_page_keeps_the_phone_and_shows_field_errors(client: Client, outbox: Path) -> None:
    bad = client.post("/me/login/", {"phone": "123", "action": "send"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert 'id="phone-error"' in html
    assert 'value="123"' in html
    sent = client.post("/me/login/", {"phone": PHONE, "action": "send"})
    assert sent.status_code == 200
    assert 'id="code"' in sent.content.decode()
    assert "139****1234" in sent.content.decode()
    wrong = client.post("/me/login/", {"phone": PHONE, "code": "000000", "action": "verify"})
    if last_code(outbox, PHONE) != "000000":
        assert wrong.status_code == 400
        assert 'id="code-error"' in wrong.content.decode()
        assert f'value="{PHONE}"' in wrong.content.decode()
    again = client.post("/me/login/", {"phone": PHONE, "action": "send"})
    assert again.status_code == 429
    assert "秒后再试" in again.content.decode()
    code = last_code(outbox, PHONE)
    done = client.post(
        "/me/login/", {"phone": PHONE, "code": code, "action": "verify", "next": "/me/"}
    )
    assert done.status_code == 302
    assert done["Location"] == "/me/"
    assert client.session["citizen_phone_index"] == phone_index(PHONE)
    assert PHONE not in str(dict(client.session.items()))
    client.post("/me/logout/")
    assert "citizen_phone_index" not in client.session


def test_sign_in_ignores_an_offsite_next(client: Client, outbox: Path) -> None:
    client.post("/me/login/", {"phone": PHONE, "action": "send"})
    code = last_code(outbox, PHONE)
    done = client.post(
        "/me/login/",
        {"phone": PHONE, "code": code, "action": "verify", "next": "https://evil.example/"},
    )
    assert done["Location"] == "/me/"
