from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from xinfang.jobs.scheduler import Scheduler


class Command(BaseCommand):
    help = (
        "Enqueue the periodic jobs of XINFANG_SCHEDULE when due. `run_worker` already runs this "
        "in a thread; use it alone with `run_worker --no-scheduler`. Several may run at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="seconds between ticks (default: XINFANG_SCHEDULER_INTERVAL, 5)",
        )
        parser.add_argument("--once", action="store_true", help="sync and tick once, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"] or settings.XINFANG_SCHEDULER_INTERVAL
        scheduler = Scheduler(interval=interval)
        if options["once"]:
            for name in scheduler.run_once():
                self.stdout.write(f"enqueued {name}")
            return
        stop = threading.Event()

        def shutdown(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, shutdown)
        signal.signal(signal.SIGINT, shutdown)
        scheduler.run(stop)
