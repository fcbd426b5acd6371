"""The periodic schedule and task-result housekeeping.

Safe with several schedulers and workers on one database: every claim is a compare-and-set
UPDATE whose row count says who won, and the enqueue happens in the claim's transaction, so a
due run is enqueued exactly once (django-tasks-db writes its queue to the same database).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.utils.module_loading import import_string
from django_tasks.base import Task, TaskResultStatus
from django_tasks_db.models import DBTaskResult

from xinfang.core.errors import ApplicationError, Msg
from xinfang.jobs.errors import RETRY_SCHEDULED_PATH, WORKER_LOST_PATH
from xinfang.jobs.models import PeriodicJob
from xinfang.jobs.retry import ATTEMPT_KWARG

logger = logging.getLogger("xinfang.jobs")


# --- the schedule -----------------------------------------------------------------------------


def task_resolve(*, path: str) -> Task[Any, Any] | None:
    """The django_tasks Task at `path`, or None (logged) when it does not import or is no Task."""
    try:
        found = import_string(path)
    except ImportError:
        logger.exception("scheduled task %s does not import", path)
        return None
    if not isinstance(found, Task):
        logger.error("scheduled task %s is not a django_tasks Task", path)
        return None
    return found


def _entry_parse(name: str, entry: object) -> tuple[str, int] | None:
    """(task path, seconds) of a registry entry, or None (logged) when it is malformed."""
    if isinstance(entry, Mapping):
        path, every = entry.get("task"), entry.get("every")
        if isinstance(path, str) and type(every) is int and every >= 1:
            return path, every
    logger.error('XINFANG_SCHEDULE[%r] needs {"task": "dotted.path", "every": seconds>=1}', name)
    return None


def schedule_sync(*, now: datetime, registry: Mapping[str, object] | None = None) -> list[str]:
    """Make the PeriodicJob table match the registry (settings.XINFANG_SCHEDULE by default).

    A new entry becomes a row due now. For an existing row only the task path follows the code:
    `enabled` and `every_seconds` are the admin's once the row exists. Rows whose name left the
    registry are deleted. An entry that is malformed or whose task does not import is logged
    and skipped (its existing row, if any, is left alone). Returns the names in sync.
    """
    registry = settings.XINFANG_SCHEDULE if registry is None else registry
    synced = []
    for name, entry in registry.items():
        parsed = _entry_parse(name, entry)
        if parsed is None or task_resolve(path=parsed[0]) is None:
            continue
        _job_upsert(name=name, task_path=parsed[0], every=parsed[1], now=now)
        synced.append(name)
    gone, _ = PeriodicJob.objects.exclude(name__in=list(registry)).delete()
    if gone:
        logger.info("removed %d periodic job(s) no longer in XINFANG_SCHEDULE", gone)
    return synced


def _job_upsert(*, name: str, task_path: str, every: int, now: datetime) -> None:
    job, created = PeriodicJob.objects.get_or_create(
        name=name,
        defaults={"task_path": task_path, "every_seconds": every, "next_run_at": now},
    )
    if not created and job.task_path != task_path:
        PeriodicJob.objects.filter(pk=job.pk).update(task_path=task_path)


def _next_run(*, previous: datetime, every: int, now: datetime) -> datetime:
    """The first slot after `now` on the job's cadence: runs missed while nothing was running
    collapse into the one being enqueued instead of coming as a burst."""
    missed = int((now - previous).total_seconds() // every) + 1
    return previous + timedelta(seconds=every * max(missed, 1))


def schedule_tick(*, now: datetime) -> list[str]:
    """Enqueue every enabled job due at `now`; returns the names this call enqueued.

    Each due row is claimed by moving next_run_at from the value read to the next slot; a
    scheduler that loses the race updates nothing and enqueues nothing.
    """
    due = PeriodicJob.objects.filter(enabled=True, next_run_at__lte=now).order_by("next_run_at")
    enqueued = []
    for job in due:
        try:
            if _claim_and_enqueue(job=job, now=now):
                enqueued.append(job.name)
        except Exception:
            # One job's enqueue failing (the claim rolled back with it) must not starve the rest;
            # the row stays due and the next tick tries again.
            logger.exception("periodic job %s could not be enqueued", job.name)
    return enqueued


def _claim_and_enqueue(*, job: PeriodicJob, now: datetime) -> bool:
    with transaction.atomic():
        new_next = _next_run(previous=job.next_run_at, every=job.every_seconds, now=now)
        claimed = PeriodicJob.objects.filter(
            pk=job.pk, enabled=True, next_run_at=job.next_run_at
        ).update(next_run_at=new_next)
        if not claimed:
            return False
        # A broken path still moves next_run_at (committed), so it is logged once per period.
        found = task_resolve(path=job.task_path)
        if found is None:
            return False
        _record_enqueue(job=job, now=now, result_id=str(found.enqueue().id))
    return True


def _record_enqueue(*, job: PeriodicJob, now: datetime, result_id: str) -> None:
    PeriodicJob.objects.filter(pk=job.pk).update(last_enqueued_at=now, last_result_id=result_id)


def periodic_job_run_now(*, job: PeriodicJob, now: datetime) -> str:
    """Enqueue the job's task at once (the admin's "run now"); its schedule is unchanged."""
    found = task_resolve(path=job.task_path)
    if found is None:
        raise ApplicationError(
            Msg("任务路径无法导入：{path}", "The task path does not import: {path}").format(
                path=job.task_path
            ),
            code="task_unresolvable",
        )
    with transaction.atomic():
        result_id = str(found.enqueue().id)
        _record_enqueue(job=job, now=now, result_id=result_id)
    return result_id


def periodic_job_update(
    *, job: PeriodicJob, every_seconds: int, enabled: bool, notes: str, now: datetime
) -> None:
    """The admin's edit. A shorter interval takes effect now rather than after the old wait."""
    fields: dict[str, Any] = {"every_seconds": every_seconds, "enabled": enabled, "notes": notes}
    soonest = now + timedelta(seconds=every_seconds)
    if job.next_run_at > soonest:
        fields["next_run_at"] = soonest
    PeriodicJob.objects.filter(pk=job.pk).update(**fields)


def periodic_job_set_enabled(*, job_ids: Sequence[int], enabled: bool) -> int:
    return PeriodicJob.objects.filter(pk__in=job_ids).update(enabled=enabled)


# --- task results -----------------------------------------------------------------------------


def _enqueue_copy(*, result: DBTaskResult, keep_attempt: bool) -> str:
    """Enqueue the result's task again with its arguments, queue, priority and backend."""
    kwargs = dict(result.args_kwargs["kwargs"])
    if not keep_attempt:
        kwargs.pop(ATTEMPT_KWARG, None)
    again = dataclasses.replace(result.task, run_after=None)
    return str(again.get_backend().enqueue(again, result.args_kwargs["args"], kwargs).id)


def task_result_retry(*, result: DBTaskResult) -> str:
    """Enqueue a failed job again with the same arguments and a fresh retry budget; returns the
    new result's id. The failed row stays as the record of what went wrong."""
    if result.status != TaskResultStatus.FAILED:
        raise ApplicationError(
            Msg("只能重试失败的任务。", "Only failed jobs can be retried."), code="not_failed"
        )
    try:
        return _enqueue_copy(result=result, keep_attempt=False)
    except (ImportError, SuspiciousOperation) as exc:
        raise ApplicationError(
            Msg("任务路径无法导入：{path}", "The task path does not import: {path}").format(
                path=result.task_path
            ),
            code="task_unresolvable",
        ) from exc


def task_results_prune(*, now: datetime, days: int) -> int:
    """Delete successful results, and failed attempts whose retry was queued, finished more than
    `days` ago. Final failures stay until someone has looked at them."""
    cutoff = now - timedelta(days=days)
    old = DBTaskResult.objects.filter(finished_at__lt=cutoff)
    deleted, _ = (
        old.filter(status=TaskResultStatus.SUCCESSFUL)
        | old.filter(status=TaskResultStatus.FAILED, exception_class_path=RETRY_SCHEDULED_PATH)
    ).delete()
    return deleted


def task_results_requeue_stale(*, now: datetime, stale_seconds: int) -> list[str]:
    """Jobs RUNNING for longer than `stale_seconds` lost their worker (killed, machine gone):
    mark each FAILED with WorkerLost and enqueue it again (at-least-once). Returns new ids."""
    cutoff = now - timedelta(seconds=stale_seconds)
    requeued = []
    for result in DBTaskResult.objects.running().filter(started_at__lt=cutoff):
        new_id = _requeue_one(result=result, now=now)
        if new_id:
            requeued.append(new_id)
    return requeued


def _requeue_one(*, result: DBTaskResult, now: datetime) -> str | None:
    note = f"{WORKER_LOST_PATH}: RUNNING since {result.started_at:%Y-%m-%d %H:%M:%S%z}"
    with transaction.atomic():
        claimed = DBTaskResult.objects.filter(
            pk=result.pk, status=TaskResultStatus.RUNNING, started_at=result.started_at
        ).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=WORKER_LOST_PATH,
            traceback=note,
        )
        if not claimed:
            return None
        try:
            new_id = _enqueue_copy(result=result, keep_attempt=True)
        except (ImportError, SuspiciousOperation):
            logger.exception("lost job %s: %s is no longer a task", result.pk, result.task_path)
            return None
    logger.warning("job %s (%s) lost its worker; queued as %s", result.pk, result.task_path, new_id)
    return new_id
