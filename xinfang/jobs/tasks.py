"""Housekeeping jobs, scheduled by XINFANG_SCHEDULE (config/settings/base.py)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from xinfang.jobs.services import task_results_prune, task_results_requeue_stale


@task()
def prune_task_results() -> int:
    """Delete successful job results older than XINFANG_JOB_RESULT_DAYS."""
    return task_results_prune(now=timezone.now(), days=settings.XINFANG_JOB_RESULT_DAYS)


@task()
def requeue_stale_tasks() -> int:
    """Queue again the jobs whose worker died mid-run."""
    stale = settings.XINFANG_JOB_STALE_SECONDS
    return len(task_results_requeue_stale(now=timezone.now(), stale_seconds=stale))
