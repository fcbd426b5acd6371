"""The delivery back-end interface shared by e-mail, SMS and WeChat template messages.

A back-end is any class with `send(message)`; it raises DeliveryError when the message did not
go out. `permanent=True` means retrying cannot help (a rejected address), so the outbox stops
trying; anything else is retried with back-off. Back-ends are named per medium in
settings.XINFANG_NOTIFY_BACKENDS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


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
