"""The scheduler loop, run by `manage.py run_scheduler` or as a thread of `manage.py run_worker`."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connection
from django.utils import timezone

from xinfang.jobs.services import schedule_sync, schedule_tick

logger = logging.getLogger("xinfang.jobs")


class Scheduler:
    """Syncs the schedule once, then ticks every `interval` seconds until `stop` is set.

    Errors (a database restart, a locked SQLite file) are logged and the loop carries on:
    a scheduler that dies quietly is worse than one that complains every few seconds.
    """

    def __init__(self, *, interval: float) -> None:
        self.interval = interval
        self.synced = False

    def run_once(self) -> list[str]:
        try:
            if not self.synced:
                schedule_sync(now=timezone.now())
                self.synced = True
            return schedule_tick(now=timezone.now())
        except Exception:
            logger.exception("scheduler tick failed")
            return []

    def run(self, stop: threading.Event) -> None:
        logger.info("scheduler started, every %ss", self.interval)
        try:
            while not stop.is_set():
                # As around a request: drop a connection the database closed while we slept.
                close_old_connections()
                enqueued = self.run_once()
                if enqueued:
                    logger.info("scheduler enqueued %s", ", ".join(enqueued))
                stop.wait(self.interval)
        finally:
            connection.close()
            logger.info("scheduler stopped")


def scheduler_thread(*, interval: float, stop: threading.Event) -> threading.Thread:
    """A daemon thread: it must not keep a worker process alive once the worker has exited."""
    loop = Scheduler(interval=interval)
    return threading.Thread(target=loop.run, args=(stop,), name="xinfang-scheduler", daemon=True)
