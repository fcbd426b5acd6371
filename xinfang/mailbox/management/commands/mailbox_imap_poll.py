"""Poll an IMAP folder for a leader mailbox: once, or every --interval seconds."""

from __future__ import annotations

import imaplib
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from xinfang.mailbox.imap import ImapAccount, ImapError, Security, imap_poll
from xinfang.mailbox.models import Mailbox
from xinfang.mailbox.selectors import mailbox_get_active


class Command(BaseCommand):
    help = (
        "Turn the UNSEEN messages of an IMAP folder into petitions of one leader mailbox; "
        "a message is marked \\Seen only after its petition is committed. Defaults come from "
        "the XINFANG_MAILBOX_IMAP_* settings."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        s = settings
        parser.add_argument("--mailbox", default=s.XINFANG_MAILBOX_IMAP_MAILBOX, help="address")
        parser.add_argument("--host", default=s.XINFANG_MAILBOX_IMAP_HOST)
        parser.add_argument("--port", type=int, default=s.XINFANG_MAILBOX_IMAP_PORT)
        security = [x.value for x in Security]
        parser.add_argument("--security", choices=security, default=s.XINFANG_MAILBOX_IMAP_SECURITY)
        parser.add_argument("--user", default=s.XINFANG_MAILBOX_IMAP_USER)
        parser.add_argument(
            "--password-file", default="", help="else XINFANG_MAILBOX_IMAP_PASSWORD"
        )
        parser.add_argument("--folder", default=s.XINFANG_MAILBOX_IMAP_FOLDER)
        parser.add_argument("--limit", type=int, default=0, help="messages per poll (0: all)")
        parser.add_argument("--interval", type=int, default=0, help="seconds; 0: poll once")

    def _account(self, options: dict[str, Any]) -> ImapAccount:
        missing = [name for name in ("host", "user") if not options[name]]
        if missing:
            raise CommandError(f"missing --{', --'.join(missing)}", returncode=2)
        if options["security"] not in {x.value for x in Security}:
            raise CommandError(f"unknown security {options['security']!r}", returncode=2)
        password = settings.XINFANG_MAILBOX_IMAP_PASSWORD
        if options["password_file"]:
            path = Path(options["password_file"])
            if not path.is_file():
                raise CommandError(f"no such file: {path}", returncode=2)
            password = path.read_text(encoding="utf-8").strip()
        return ImapAccount(
            host=options["host"],
            port=options["port"],
            user=options["user"],
            password=password,
            folder=options["folder"],
            security=Security(options["security"]),
        )

    def _mailbox(self, address: str) -> Mailbox:
        mailbox = mailbox_get_active(address=address) if address else None
        if mailbox is None:
            raise CommandError(f"no active mailbox {address!r} (--mailbox)", returncode=2)
        return mailbox

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] < 0 or options["interval"] < 0:
            raise CommandError("--limit and --interval must be ≥ 0", returncode=2)
        account = self._account(options)
        mailbox = self._mailbox(options["mailbox"])
        while True:
            try:
                counts = imap_poll(account=account, mailbox=mailbox, limit=options["limit"])
            except (ImapError, imaplib.IMAP4.error, OSError) as exc:
                if not options["interval"]:
                    raise CommandError(f"IMAP poll failed: {exc}") from exc
                self.stderr.write(f"IMAP poll failed, retrying: {exc}")
            else:
                summary = " ".join(f"{k}={v}" for k, v in sorted(counts.items()))
                self.stdout.write(f"{mailbox.address}: {summary or 'nothing new'}")
            if not options["interval"]:
                return
            close_old_connections()
            time.sleep(options["interval"])
