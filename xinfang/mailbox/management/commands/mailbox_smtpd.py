"""Run the leader mailboxes' SMTP receiver until stopped (SIGINT/SIGTERM)."""

from __future__ import annotations

import signal
import ssl
import threading
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from xinfang.mailbox.smtp import smtp_controller


def _tls_context(cert: str, key: str) -> ssl.SSLContext | None:
    if not cert and not key:
        return None
    if not (cert and key):
        raise CommandError("--tls-cert and --tls-key go together", returncode=2)
    for path in (cert, key):
        if not Path(path).is_file():
            raise CommandError(f"no such file: {path}", returncode=2)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (ssl.SSLError, ValueError) as exc:
        raise CommandError(f"cannot load the certificate: {exc}", returncode=2) from exc
    return context


class Command(BaseCommand):
    help = (
        "Receive mail for the leader mailboxes over SMTP (aiosmtpd): RCPT only for active "
        "mailboxes, 250 only after the petition is committed, 451 when it could not be."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default=settings.XINFANG_MAILBOX_SMTP_HOST)
        parser.add_argument("--port", type=int, default=settings.XINFANG_MAILBOX_SMTP_PORT)
        parser.add_argument("--tls-cert", default="", help="PEM certificate: offer STARTTLS")
        parser.add_argument("--tls-key", default="", help="PEM private key of --tls-cert")

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"]
        if not 0 < port < 65536:
            raise CommandError(f"--port must be 1–65535, got {port}", returncode=2)
        tls = _tls_context(options["tls_cert"], options["tls_key"])
        controller = smtp_controller(host=options["host"], port=port, tls_context=tls)
        try:
            controller.start()
        except (OSError, RuntimeError) as exc:
            raise CommandError(f"cannot listen on {options['host']}:{port}: {exc}") from exc
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(f"mailbox SMTP receiver on {options['host']}:{port}")
        try:
            stop.wait()
        finally:
            controller.stop()
