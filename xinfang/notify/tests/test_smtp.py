"""Real SMTP on loopback: the mail server goes away while petitions keep changing, comes back,
and every notice arrives exactly once.

The receiver is aiosmtpd's Controller in its own thread; Django's SMTP back-end talks to it
over TCP. Nothing is mocked: a stopped receiver refuses connections, as a real one would.
"""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.utils import timezone

from xinfang.cases.models import Channel
from xinfang.cases.services import case_register
from xinfang.cases.tests.factories import petition_payload
from xinfang.handling.services import case_accept, case_forward
from xinfang.handling.tests.world import World
from xinfang.intake.services import petition_submit
from xinfang.notify.backends import message_id
from xinfang.notify.contacts import Contact
from xinfang.notify.delivery import outbox_deliver
from xinfang.notify.models import Medium, Notification, NotificationStatus

pytestmark = pytest.mark.django_db


class Inbox:
    """The receiving end: every message accepted, kept whole."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.original_content or b"")
        with self.lock:
            self.messages.append(message)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Receiver:
    """Start, stop and start again on the same port, like a mail server being restarted."""

    def __init__(self, inbox: Inbox, port: int) -> None:
        self.inbox, self.port = inbox, port
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def receiver(settings: Any, inbox: Inbox) -> Iterator[Receiver]:
    port = _free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = False
    server = Receiver(inbox, port)
    server.start()
    yield server
    server.stop()


def mail_petition(n: int) -> Any:
    data = petition_payload(title=f"来信反映的问题{n}")
    contacts = [Contact(Medium.EMAIL, f"writer{n}@example.org")]
    return petition_submit(channel=Channel.MAILBOX, data=data, contacts=contacts).case


def test_every_notice_arrives_once_across_a_mail_server_outage(
    world: World, receiver: Receiver, inbox: Inbox
) -> None:
    w = world
    first = [mail_petition(n) for n in range(2)]
    assert outbox_deliver().sent == 2
    assert len(inbox.messages) == 2

    receiver.stop()  # the mail server goes down; the work goes on
    case = case_register(case=first[0], actor=w.registrar)
    case = case_forward(case=case, actor=w.registrar, to_org=w.housing)
    case_accept(case=case, actor=w.handler)
    late = mail_petition(3)
    waiting = Notification.objects.exclude(status=NotificationStatus.SENT)
    # forwarded + accepted to the writer, the assignment to two housing staff, one receipt
    assert waiting.count() == 5
    assert set(waiting.values_list("medium", flat=True)) == {Medium.EMAIL}
    result = outbox_deliver()
    assert (result.sent, result.retrying) == (0, 5)
    for row in waiting:
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.last_error.startswith("mail server unreachable")

    receiver.start()  # back again: nothing is due until the back-off has passed
    assert outbox_deliver().handled == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert outbox_deliver().sent == 5
        assert outbox_deliver().handled == 0  # a second run finds nothing left

    rows = list(Notification.objects.all())
    assert len(rows) == 7
    assert all(r.status == NotificationStatus.SENT for r in rows)
    assert len(inbox.messages) == len(rows)  # each exactly once
    ids = [m["Message-ID"] for m in inbox.messages]
    assert len(set(ids)) == len(ids)
    assert set(ids) == {message_id(r.key) for r in rows}
    to = sorted(m["To"] for m in inbox.messages)
    assert to.count("writer0@example.org") == 3
    assert "writer3@example.org" in to
    assert all(m["Auto-Submitted"] == "auto-generated" for m in inbox.messages)
    (receipt,) = [m for m in inbox.messages if m["To"] == "writer3@example.org"]
    assert late.query_code in receipt.get_payload(decode=True).decode()
