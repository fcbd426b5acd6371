"""The delivery back-end interface shared by e-mail, SMS and WeChat template messages.

A back-end is any class with `send(message)`; it raises DeliveryError when the message did not
go out. `permanent=True` means retrying cannot help (a rejected address), so the outbox stops
trying; anything else is retried with back-off. Back-ends are named per medium in
settings.XINFANG_NOTIFY_BACKENDS.
"""

from __future__ import annotations

import hashlib
import smtplib
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Outgoing:
    medium: str  # notify.models.Medium
    address: str  # phone, e-mail address, or "<account code>/<openid>" for WeChat
    subject: str
    body: str
    template: str  # the milestone's key (received, accepted, replied …)
    data: dict[str, str] = field(default_factory=dict)  # the template's fields
    url: str = ""  # where the citizen reads more (the tracking page)
    language: str = "zh-hans"
    key: str = ""  # the outbox row's stable id: lets a gateway drop a repeated send


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Backend(Protocol):
    def send(self, message: Outgoing) -> None: ...


def message_id(key: str) -> str:
    """The e-mail Message-ID of an outbox row: the same row always gets the same id, so a
    receiving system (and the tests) can tell a resend from a new notice."""
    from xinfang.notify.rendering import site_domain

    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}.notify@{site_domain()}>"


def _permanent(exc: smtplib.SMTPException) -> bool:
    """Only a rejected address or message (5xx) is hopeless; anything else may pass later."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500


class EmailBackend:
    """E-mail through Django's mail connection (EMAIL_BACKEND; SMTP in production)."""

    def send(self, message: Outgoing) -> None:
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.XINFANG_NOTIFY_FROM_EMAIL,
            to=[message.address],
            headers={"Message-ID": message_id(message.key), "Auto-Submitted": "auto-generated"},
        )
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPException as exc:
            raise DeliveryError(f"SMTP: {exc}", permanent=_permanent(exc)) from exc
        except OSError as exc:  # refused, unreachable, timed out
            raise DeliveryError(f"mail server unreachable: {exc}") from exc


class SmsBackend:
    """Text messages through the citizens' SMS back-end (XINFANG_SMS_BACKEND: console, file or
    the operator's HTTP gateway), so sign-in codes and notices share one gateway set-up."""

    def send(self, message: Outgoing) -> None:
        from xinfang.citizens.sms import SmsError, sms_backend

        try:
            sms_backend().send(phone=message.address, message=message.body)
        except SmsError as exc:
            raise DeliveryError(f"SMS: {exc}") from exc


def backend_for(medium: str) -> Backend:
    """The configured back-end of a medium (settings.XINFANG_NOTIFY_BACKENDS); a missing or
    broken one is a temporary failure, so the notices wait until it is deployed."""
    path = settings.XINFANG_NOTIFY_BACKENDS.get(medium, "")
    try:
        backend: Backend = import_string(path)()
    except ImportError as exc:
        raise DeliveryError(f"no back-end for {medium}: {path or 'not configured'}") from exc
    return backend
