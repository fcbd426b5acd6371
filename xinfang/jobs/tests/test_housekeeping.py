from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from xinfang.jobs.errors import RETRY_SCHEDULED_PATH, WORKER_LOST_PATH
from xinfang.jobs.retry import ATTEMPT_KWARG
from xinfang.jobs.services import task_results_prune, task_results_requeue_stale
from xinfang.jobs.tasks import prune_task_results
from xinfang.jobs.tests.factories import make_result

pytestmark = pytest.mark.django_db


def test_prune_deletes_old_successes_and_superseded_attempts_only() -> None:
    now = timezone.now()
    old = now - timedelta(days=15)
    gone = [
        make_result(status=TaskResultStatus.SUCCESSFUL, finished_at=old),
        make_result(finished_at=old, exception_class_path=RETRY_SCHEDULED_PATH),
    ]
    kept = [
        make_result(status=TaskResultStatus.SUCCESSFUL, finished_at=now - timedelta(days=13)),
        make_result(finished_at=old),  # a final failure waits for someone to look at it
        make_result(status=TaskResultStatus.READY, finished_at=None),
    ]

    assert task_results_prune(now=now, days=14) == len(gone)
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {r.pk for r in kept}


def test_prune_task_reads_the_setting(settings: Any) -> None:
    settings.XINFANG_JOB_RESULT_DAYS = 1
    make_result(status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now() - timedelta(days=2))
    assert prune_task_results.enqueue().return_value == 1


def test_a_job_running_too_long_is_marked_lost_and_queued_again(db_backend: None) -> None:
    now = timezone.now()
    lost = make_result(
        status=TaskResultStatus.RUNNING,
        started_at=now - timedelta(hours=2),
        finished_at=None,
        args_kwargs={"args": [], "kwargs": {"case_id": 7, ATTEMPT_KWARG: 2}},
        exception_class_path="",
        traceback="",
    )
    busy = make_result(
        status=TaskResultStatus.RUNNING, started_at=now - timedelta(minutes=5), finished_at=None
    )

    new_ids = task_results_requeue_stale(now=now, stale_seconds=3600)

    lost.refresh_from_db()
    assert (lost.status, lost.exception_class_path) == (TaskResultStatus.FAILED, WORKER_LOST_PATH)
    again = DBTaskResult.objects.get(pk=new_ids[0])
    assert again.status == TaskResultStatus.READY
    assert again.args_kwargs == lost.args_kwargs  # the attempt count carries on
    busy.refresh_from_db()
    assert busy.status == TaskResultStatus.RUNNING
    assert task_results_requeue_stale(now=now, stale_seconds=3600) == []
