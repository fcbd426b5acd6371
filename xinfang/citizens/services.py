"""Citizens' portal writes: one-time codes for signing in by phone, and material a petitioner
adds to their own petition."""

from __future__ import annotations

import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from xinfang.cases.models import Attachment, Case, CaseEvent, EventKind
from xinfang.cases.services import UploadedFileData, attachment_rows, case_event_append
from xinfang.cases.workflow import OPEN_STATES
from xinfang.citizens.models import OneTimeCode
from xinfang.citizens.sms import SmsError, sms_backend
from xinfang.core import crypto
from xinfang.core import validators as v
from xinfang.core.errors import ApplicationError, FieldErrors, Msg

CODE_DIGITS = 6
# Codes go by SMS: mobile numbers only (validators also accept landlines for petitions).
MATERIAL_MAX = 2000

PHONE_INVALID = Msg("请填写正确的手机号码。", "Enter a valid mobile phone number.")
CODE_FORMAT = Msg("请填写短信中的6位验证码。", "Enter the 6-digit code from the text message.")
CODE_WRONG = Msg("验证码不正确。", "The code is not correct.")
CODE_GONE = Msg(
    "验证码已失效或已使用，请重新获取。", "The code has expired or was used; ask for a new one."
)
CODE_TRIES = Msg("验证码输错次数过多，请重新获取。", "Too many wrong codes; ask for a new one.")
THROTTLED = Msg(
    "获取验证码过于频繁，请 {wait} 秒后再试。",
    "Too many codes requested; try again in {wait} seconds.",
)
SMS_FAILED = Msg("短信发送失败，请稍后再试。", "The text message could not be sent; try later.")
SMS_TEXT = "【阳光信访】您的登录验证码是 {code}，{minutes} 分钟内有效。请勿告诉他人。"
MATERIAL_EMPTY = Msg("请填写补充说明或选择附件。", "Write a note or choose a file to add.")
MATERIAL_LONG = Msg("补充说明不能超过 {n} 字。", "The note must be at most {n} characters.")
CASE_CLOSED = Msg(
    "本事项已办结，不能再补充材料。", "This petition is closed; no more material can be added."
)


class OtpThrottled(FieldErrors):
    """Too many codes asked for; `wait_seconds` says when the next one may be."""

    code = "throttled"
    http_status = 429

    def __init__(self, wait_seconds: int) -> None:
        super().__init__({"phone": [THROTTLED.format(wait=wait_seconds)]})
        self.wait_seconds = wait_seconds


@dataclass(frozen=True)
class SentCode:
    phone_index: str
    expires_at: datetime


def phone_index(phone: str) -> str:
    """The blind index Petitioner.phone_index holds for the same number."""
    return crypto.blind_index(phone, context="phone")


def _mobile(raw: str) -> str:
    phone = v.normalize_phone(raw.strip())
    if not v.is_mobile(phone):
        raise FieldErrors({"phone": [PHONE_INVALID]})
    return phone


def _code_digest(index: str, code: str) -> str:
    return crypto.blind_index(f"{index}:{code}", context="otp.code")


def _wait(rows: list[datetime], *, limit: int, window: int, now: datetime) -> int:
    """Seconds until fewer than `limit` of the send times `rows` lie within `window`; 0 if now."""
    recent = sorted(t for t in rows if t > now - timedelta(seconds=window))
    if len(recent) < limit:
        return 0
    oldest_that_counts = recent[len(recent) - limit]
    return max(1, math.ceil((oldest_that_counts + timedelta(seconds=window) - now).total_seconds()))


def _throttle_wait(index: str, client: str, now: datetime) -> int:
    hour = now - timedelta(hours=1)
    by_phone = list(
        OneTimeCode.objects.filter(phone_index=index, created_at__gt=hour).values_list(
            "created_at", flat=True
        )
    )
    by_client = list(
        OneTimeCode.objects.filter(client_digest=client, created_at__gt=hour).values_list(
            "created_at", flat=True
        )
    )
    return max(
        _wait(by_phone, limit=1, window=settings.XINFANG_OTP_PHONE_INTERVAL, now=now),
        _wait(by_phone, limit=settings.XINFANG_OTP_PHONE_HOURLY, window=3600, now=now),
        _wait(by_client, limit=settings.XINFANG_OTP_CLIENT_HOURLY, window=3600, now=now),
    )


def otp_send(*, phone: str, client: str, purpose: str = "signin") -> SentCode:
    """Text a fresh sign-in code to `phone`; earlier unused codes for it stop working.

    Refused with OtpThrottled (and the wait) after 1 code per minute or 5 per hour for one
    phone, or 20 per hour from one client: SMS costs money and a code box invites guessing.
    """
    number = _mobile(phone)
    index = phone_index(number)
    client_digest = crypto.blind_index(client, context="otp.client")
    now = timezone.now()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    ttl = settings.XINFANG_OTP_TTL_SECONDS
    with transaction.atomic():
        wait = _throttle_wait(index, client_digest, now)
        if wait:
            raise OtpThrottled(wait)
        OneTimeCode.objects.filter(phone_index=index, purpose=purpose, used_at=None).update(
            used_at=now
        )
        row = OneTimeCode.objects.create(
            phone_index=index,
            client_digest=client_digest,
            purpose=purpose,
            code_digest=_code_digest(index, code),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
        )
    # Sent after the commit: a slow gateway must not hold the database's write lock.
    try:
        sms_backend().send(phone=number, message=SMS_TEXT.format(code=code, minutes=ttl // 60))
    except SmsError as exc:
        row.delete()  # never delivered: it must not count against the citizen's limits
        raise ApplicationError(SMS_FAILED, code="sms_failed") from exc
    return SentCode(phone_index=index, expires_at=row.expires_at)


def otp_verify(*, phone: str, code: str, client: str, purpose: str = "signin") -> str:
    """The phone's blind index if `code` is its latest live code; each code works once and
    allows XINFANG_OTP_MAX_ATTEMPTS tries."""
    index = phone_index(_mobile(phone))
    code = code.strip()
    if not (len(code) == CODE_DIGITS and code.isdigit()):
        raise FieldErrors({"code": [CODE_FORMAT]})
    now = timezone.now()
    row = (
        OneTimeCode.objects.filter(
            phone_index=index, purpose=purpose, used_at=None, expires_at__gt=now
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if row is None:
        raise FieldErrors({"code": [CODE_GONE]})
    # Count the try before comparing, in one UPDATE: parallel guesses cannot share a try.
    limit = settings.XINFANG_OTP_MAX_ATTEMPTS
    counted = OneTimeCode.objects.filter(pk=row.pk, attempts__lt=limit, used_at=None).update(
        attempts=F("attempts") + 1
    )
    if not counted:
        raise FieldErrors({"code": [CODE_TRIES]})
    if not hmac.compare_digest(_code_digest(index, code), row.code_digest):
        raise FieldErrors({"code": [CODE_WRONG]})
    if not OneTimeCode.objects.filter(pk=row.pk, used_at=None).update(used_at=now):
        raise FieldErrors({"code": [CODE_GONE]})  # a parallel request used it first
    return index


@transaction.atomic
def case_material_add(*, case: Case, text: str, files: list[UploadedFileData]) -> CaseEvent:
    """补充材料: the petitioner's note and files, kept with the case while it is open and
    recorded as a public NOTE event, so the handling staff see it on the timeline."""
    text = text.strip()
    if not text and not files:
        raise FieldErrors({"material": [MATERIAL_EMPTY]})
    if len(text) > MATERIAL_MAX:
        raise FieldErrors({"material": [MATERIAL_LONG.format(n=MATERIAL_MAX)]})
    locked = Case.objects.select_for_update().only("status").get(pk=case.pk)
    if locked.status not in OPEN_STATES:
        raise ApplicationError(CASE_CLOSED, code="closed")
    rows = Attachment.objects.bulk_create(attachment_rows(case, files))
    return case_event_append(
        case=case,
        kind=EventKind.NOTE,
        payload={
            "material": text,
            "attachments": len(rows),
            "attachment_ids": [row.pk for row in rows],
        },
        reason=text or f"补充材料：附件 {len(rows)} 个",
        public=True,
    )
