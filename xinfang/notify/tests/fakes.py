"""A local stand-in back-end for the tests: records what it was asked to send, and fails on
demand (the WeChat servers cannot run here; e-mail and SMS tests use the real back-ends)."""

from __future__ import annotations

from typing import ClassVar

from xinfang.notify.backends import DeliveryError, Outgoing


class RecordingBackend:
    sent: ClassVar[list[Outgoing]] = []
    # Errors to raise, one per send, before succeeding again.
    failures: ClassVar[list[DeliveryError]] = []

    def send(self, message: Outgoing) -> None:
        if RecordingBackend.failures:
            raise RecordingBackend.failures.pop(0)
        RecordingBackend.sent.append(message)

    @classmethod
    def reset(cls) -> None:
        cls.sent.clear()
        cls.failures.clear()


class CrashingBackend:
    def send(self, message: Outgoing) -> None:
        raise RuntimeError("bug in a back-end")
