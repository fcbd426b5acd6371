"""The IMAP poller: for a leader mailbox whose mail stays on an existing mail server.

Each poll reads the folder's UNSEEN messages without marking them (BODY.PEEK), ingests them
as the SMTP receiver does, and sets \\Seen only after the petition is committed. A poll that
dies half-way leaves the rest unseen; a message read twice replays as the same petition.
A mail that can never become a petition is marked \\Seen and \\Flagged for a person to read
(there is no SMTP answer to refuse it with); a temporary failure leaves it unseen for the
next poll.

A message that failed is also given the keyword DEFERRED_KEYWORD, and each poll takes the
unseen messages without it first (oldest first), then those with it. Otherwise the failed
ones, being the oldest unseen, would come first on every poll and a few messages that keep
failing would use up every `--limit`, so that newer mail never got in. The keyword lives on
the server, so the order holds across the poller's runs and restarts; a server that refuses
keywords just keeps the arrival order.
"""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings

from xinfang.mailbox.models import Mailbox
from xinfang.mailbox.services import Outcome, mailbox_message_deliver

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 60
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
FLAGS_DONE = r"(\Seen)"
FLAGS_FOR_A_PERSON = r"(\Seen \Flagged)"
DEFERRED_KEYWORD = "XinfangDeferred"  # an IMAP keyword: ingesting it failed on a poll


class Security(StrEnum):
    SSL = "ssl"  # IMAPS, port 993
    STARTTLS = "starttls"  # port 143, upgraded before login
    NONE = "none"  # loopback or a trusted network only


class ImapError(Exception):
    """The server refused a command (login, folder); the poll stopped."""


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    security: Security = Security.SSL


def imap_connect(account: ImapAccount) -> imaplib.IMAP4:
    if account.security == Security.SSL:
        context = ssl.create_default_context()
        conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
            account.host, account.port, ssl_context=context, timeout=TIMEOUT_SECONDS
        )
    else:
        conn = imaplib.IMAP4(account.host, account.port, timeout=TIMEOUT_SECONDS)
        if account.security == Security.STARTTLS:
            conn.starttls(ssl.create_default_context())
    try:
        conn.login(account.user, account.password)
    except imaplib.IMAP4.error as exc:
        conn.shutdown()
        raise ImapError(f"login failed: {exc}") from exc
    return conn


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(result: tuple[str, Sequence[object]], what: str) -> Sequence[object]:
    status, data = result
    if status != "OK":
        raise ImapError(f"{what}: {data!r}")
    return data


def _size(conn: imaplib.IMAP4, uid: bytes) -> int:
    data = _check(conn.uid("FETCH", uid.decode(), "(RFC822.SIZE)"), "size")
    match = _SIZE.search(data[0] if isinstance(data[0], bytes) else b"")
    return int(match[1]) if match else 0


def _fetch(conn: imaplib.IMAP4, uid: bytes) -> bytes:
    # PEEK: reading must not mark the message seen; only a committed petition does.
    data = _check(conn.uid("FETCH", uid.decode(), "(BODY.PEEK[])"), "fetch")
    for item in data:
        if isinstance(item, tuple) and isinstance(item[1], bytes):
            return item[1]
    raise ImapError(f"fetch {uid!r}: no message body")


def _ingest_one(conn: imaplib.IMAP4, uid: bytes, mailbox: Mailbox) -> Outcome:
    if _size(conn, uid) > settings.XINFANG_MAILBOX_MAX_BYTES:
        logger.warning("IMAP message %s is over XINFANG_MAILBOX_MAX_BYTES", uid)
        outcome = Outcome.REFUSED
    else:
        raw = _fetch(conn, uid)
        try:
            outcome = mailbox_message_deliver(mailbox=mailbox, raw=raw, via="imap").outcome
        except Exception:  # one unreadable message must not stop the others: it stays unseen
            logger.exception("IMAP message %s could not be ingested", uid)
            outcome = Outcome.DEFERRED
    if outcome in (Outcome.ACCEPTED, Outcome.DUPLICATE):
        _check(conn.uid("STORE", uid.decode(), "+FLAGS", FLAGS_DONE), "store")
    elif outcome == Outcome.REFUSED:
        _check(conn.uid("STORE", uid.decode(), "+FLAGS", FLAGS_FOR_A_PERSON), "store")
    else:  # unchecked: a server that refuses keywords only loses the ordering
        conn.uid("STORE", uid.decode(), "+FLAGS", f"({DEFERRED_KEYWORD})")
    return outcome


def _search(conn: imaplib.IMAP4, *criteria: str) -> list[bytes]:
    found = _check(conn.uid("SEARCH", *criteria), "search")[0]
    return found.split() if isinstance(found, bytes) else []


def _pending(conn: imaplib.IMAP4) -> list[bytes]:
    """The unseen messages' UIDs: those that never failed first, then those that did."""
    fresh = _search(conn, "UNSEEN", "UNKEYWORD", DEFERRED_KEYWORD)
    failed = _search(conn, "UNSEEN", "KEYWORD", DEFERRED_KEYWORD)
    return fresh + failed


def imap_poll(*, account: ImapAccount, mailbox: Mailbox, limit: int = 0) -> Counter[Outcome]:
    """Ingest the folder's unseen messages (at most `limit`, 0 = all); count the outcomes."""
    conn = imap_connect(account)
    counts: Counter[Outcome] = Counter()
    try:
        _check(conn.select(_quoted(account.folder)), "select")
        pending = _pending(conn)
        for uid in pending[:limit] if limit else pending:
            counts[_ingest_one(conn, uid, mailbox)] += 1
    finally:
        try:
            conn.logout()
        except (imaplib.IMAP4.error, OSError):
            logger.warning("IMAP logout failed", exc_info=True)
    return counts
