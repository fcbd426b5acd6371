"""Task results and periodic jobs for the job tests, and an in-process worker."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from xinfang.jobs.models import PeriodicJob


def make_job(name: str = "t.noop", **overrides: Any) -> PeriodicJob:
    fields: dict[str, Any] = {
        "task_path": "xinfang.jobs.tests.tasks.noop_task",
        "every_seconds": 60,
        "next_run_at": timezone.now(),
    }
    fields.update(overrides)
    return PeriodicJob.objects.create(name=name, **fields)


def make_result(
    *,
    status: str = TaskResultStatus.FAILED,
    task_path: str = "xinfang.jobs.tests.tasks.noop_task",
    finished_at: datetime | None = None,
    **overrides: Any,
) -> DBTaskResult:
    fields: dict[str, Any] = {
        "status": status,
        "task_path": task_path,
        "args_kwargs": {"args": [], "kwargs": {}},
        "backend_name": "default",
        "run_after": timezone.now() - timedelta(minutes=5),
        "finished_at": finished_at or timezone.now(),
        "exception_class_path": "builtins.ValueError" if status == "FAILED" else "",
        "traceback": "Traceback (most recent call last):\nValueError: boom"
        if status == "FAILED"
        else "",
    }
    fields.update(overrides)
    return DBTaskResult.objects.create(**fields)


def run_worker(worker_id: str = "test-worker") -> None:
    """django-tasks-db's own worker loop, in this thread, until the queue has nothing ready."""
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()
