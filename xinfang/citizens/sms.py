"""Sending text messages, behind a back-end chosen by the XINFANG_SMS_BACKEND setting.

A back-end is any class with `send(*, phone, message)`; it raises SmsError when the message
did not go out. Shipped: ConsoleSmsBackend (development: the log), FileSmsBackend (development
and browser tests: an outbox file a person or a test can read) and HttpSmsBackend (a JSON POST
to the operator's SMS gateway).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from xinfang.core import crypto

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The message was not accepted for delivery."""


class SmsBackend(Protocol):
    def send(self, *, phone: str, message: str) -> None: ...


def phone_mask(phone: str) -> str:
    """138****5678: enough for a person to recognise their own number, not to call it."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


class ConsoleSmsBackend:
    """Development only: the message goes to the log (the phone masked), nowhere else."""

    def send(self, *, phone: str, message: str) -> None:
        logger.info("SMS to %s: %s", phone_mask(phone), message)


class FileSmsBackend(ConsoleSmsBackend):
    """Development and tests: one JSON line per message in XINFANG_SMS_FILE_DIR/outbox.jsonl.

    The phone is written as its blind index (what a test can compute) and masked, never in full.
    """

    def send(self, *, phone: str, message: str) -> None:
        super().send(phone=phone, message=message)
        folder = Path(settings.XINFANG_SMS_FILE_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        line = {
            "at": timezone.now().isoformat(),
            "to": phone_mask(phone),
            "to_index": crypto.blind_index(phone, context="phone"),
            "message": message,
        }
        with (folder / "outbox.jsonl").open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


class HttpSmsBackend:
    """The operator's gateway: POST {"phone", "message"} as JSON with a bearer token; any 2xx
    answer means accepted."""

    def send(self, *, phone: str, message: str) -> None:
        url = settings.XINFANG_SMS_GATEWAY_URL
        if not url:
            raise SmsError("XINFANG_SMS_GATEWAY_URL is not set")
        body = json.dumps({"phone": phone, "message": message}).encode()
        request = urllib.request.Request(  # noqa: S310  # the URL is the operator's setting
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.XINFANG_SMS_GATEWAY_TOKEN}",
            },
        )
        timeout = settings.XINFANG_SMS_GATEWAY_TIMEOUT
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
                status = answer.status
        except urllib.error.HTTPError as exc:
            raise SmsError(f"gateway answered {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsError(f"gateway unreachable: {exc}") from exc
        if not 200 <= status < 300:
            raise SmsError(f"gateway answered {status}")


def sms_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.XINFANG_SMS_BACKEND)()
    return backend
