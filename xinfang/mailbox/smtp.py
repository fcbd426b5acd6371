"""The SMTP receiver of the leader mailboxes (aiosmtpd).

It answers RCPT only for active mailboxes (550 otherwise), and DATA with 250 only once the
petition is committed: a database or configuration problem answers 451, so the sending relay
keeps the mail and retries, and the retry finds the petition if the first try did commit.
The database work runs in worker threads (Django's ORM is synchronous), never on the loop.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, close_old_connections

from xinfang.mailbox.selectors import mailbox_get_active
from xinfang.mailbox.services import TOO_LONG, Delivery, Outcome, mailbox_message_deliver

logger = logging.getLogger(__name__)

T = TypeVar("T")

REPLY_UNKNOWN = "550 5.1.1 No such mailbox here"
REPLY_DEFERRED = "451 4.3.0 Temporarily unable to accept the petition, please retry"
IDENT = "Xinfang leader mailbox"


def _db_call(fn: Callable[..., T], /, **kwargs: Any) -> T:
    # As Django does around a request: drop connections that died or aged out, before and after.
    close_old_connections()
    try:
        return fn(**kwargs)
    finally:
        close_old_connections()


async def _in_thread(fn: Callable[..., T], /, **kwargs: Any) -> T:
    return await sync_to_async(_db_call, thread_sensitive=False)(fn, **kwargs)


def _ascii(text: str) -> str:
    # SMTP replies are ASCII unless the client asked for SMTPUTF8.
    return text.encode("ascii", "replace").decode().replace("\r", " ").replace("\n", " ")


def smtp_reply(deliveries: Sequence[Delivery]) -> str:
    """One DATA answer for all recipients: retry if any must be retried (the others then
    replay as duplicates), accept if any was accepted, else the first refusal."""
    if not deliveries or any(d.outcome == Outcome.DEFERRED for d in deliveries):
        return REPLY_DEFERRED
    for d in deliveries:
        if d.receipt is not None:
            return f"250 2.0.0 Petition received: {d.receipt.case.item_number}"
    first = deliveries[0]
    text = _ascii(first.reason.en) if first.reason else "Refused"
    return f"552 5.3.4 {text}" if first.code == TOO_LONG else f"550 5.6.0 {text}"


def deliver_all(*, recipients: Sequence[str], raw: bytes, envelope_sender: str) -> str:
    deliveries = []
    for address in recipients:
        mailbox = mailbox_get_active(address=address)
        if mailbox is None:  # switched off between RCPT and DATA
            continue
        deliveries.append(
            mailbox_message_deliver(
                mailbox=mailbox, raw=raw, via="smtp", envelope_sender=envelope_sender
            )
        )
    return smtp_reply(deliveries)


class MailboxHandler:
    """aiosmtpd handler: recipients are checked against the mailboxes, DATA is ingested."""

    async def handle_RCPT(  # noqa: N802  # aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        try:
            mailbox = await _in_thread(mailbox_get_active, address=address)
        except DatabaseError:
            logger.exception("mailbox look-up failed")
            return REPLY_DEFERRED
        if mailbox is None:
            return REPLY_UNKNOWN
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802  # aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        try:
            return await _in_thread(
                deliver_all,
                recipients=list(envelope.rcpt_tos),
                raw=raw,
                envelope_sender=envelope.mail_from or "",
            )
        except Exception:  # a bug must not lose the mail: the relay keeps it and retries
            logger.exception("mail delivery failed")
            return REPLY_DEFERRED


def smtp_controller(
    *, host: str, port: int, tls_context: ssl.SSLContext | None = None
) -> Controller:
    """A threaded aiosmtpd server on host:port; STARTTLS is offered when tls_context is set.
    Messages over XINFANG_MAILBOX_MAX_BYTES are refused by aiosmtpd with 552."""
    return Controller(
        MailboxHandler(),
        hostname=host,
        port=port,
        data_size_limit=settings.XINFANG_MAILBOX_MAX_BYTES,
        enable_SMTPUTF8=True,
        ident=IDENT,
        tls_context=tls_context,
    )
