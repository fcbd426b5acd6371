from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.notify.delivery import DeliveryResult, outbox_deliver
from xinfang.notify.models import Notification, NotificationStatus


class Command(BaseCommand):
    help = (
        "Deliver the notices that are due now, once, and report each one. The worker does the "
        "same every 30 s (XINFANG_SCHEDULE); this is for operators and cron-style set-ups."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=None, help="stop after this many")

    def handle(self, *args: Any, **options: Any) -> None:
        limit = options["limit"]
        if limit is not None and limit < 1:
            raise CommandError("--limit must be a positive number", returncode=2)
        verbose = options["verbosity"] >= 1

        def progress(row: Notification, result: DeliveryResult) -> None:
            if not verbose:
                return
            row.refresh_from_db(fields=["status", "last_error", "attempts"])
            error = f" ({row.last_error})" if row.status != NotificationStatus.SENT else ""
            self.stdout.write(
                f"[{result.handled}] #{row.pk} {row.template} {row.medium}: "
                f"{row.status}, attempt {row.attempts}{error}"
            )

        result = outbox_deliver(limit=limit, progress=progress)
        self.stdout.write(
            f"sent {result.sent}, retrying {result.retrying}, failed {result.failed}"
            f", recovered {result.recovered} stale"
        )
