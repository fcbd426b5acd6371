from __future__ import annotations

import os
import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from xinfang.jobs.scheduler import Scheduler, scheduler_thread


class Command(DBWorkerCommand):
    help = (
        "django-tasks-db's db_worker (same options) plus the periodic scheduler in a thread. "
        "Run one or more: the scheduler's claims make each due job enqueue once."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-scheduler",
            action="store_false",
            dest="scheduler",
            help="run jobs only; periodic jobs are then enqueued by `run_scheduler` elsewhere",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options.pop("scheduler"):
            interval = settings.XINFANG_SCHEDULER_INTERVAL
            if options["batch"]:
                # One pass for cron-style use and tests: enqueue what is due, then drain.
                Scheduler(interval=interval).run_once()
            elif not options["reload"] or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                # With --reload the parent only watches its child; the child schedules.
                scheduler_thread(interval=interval, stop=threading.Event()).start()
        super().handle(*args, **options)
