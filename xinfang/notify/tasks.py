"""The outbox's background job: thin, it calls notify.delivery (STYLE §8.2 rule 9)."""

from __future__ import annotations

from django.conf import settings
from django_tasks import task
from django_tasks.base import TaskResultStatus

TASK_PATH = "xinfang.notify.tasks.notify_deliver_task"


@task()
def notify_deliver_task() -> int:
    """Deliver the due notices; scheduled every few seconds and enqueued after each change."""
    from xinfang.notify.delivery import outbox_deliver

    return outbox_deliver().sent


def deliver_soon() -> None:
    """Enqueue a delivery run unless one is already waiting in the database queue (a busy
    intake would otherwise queue a run per petition)."""
    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        from django_tasks_db.models import DBTaskResult

        waiting = DBTaskResult.objects.filter(task_path=TASK_PATH, status=TaskResultStatus.READY)
        if waiting.exists():
            return
    notify_deliver_task.enqueue()
