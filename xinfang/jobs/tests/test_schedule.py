from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from xinfang.core.errors import ApplicationError
from xinfang.jobs.models import PeriodicJob
from xinfang.jobs.services import (
    periodic_job_run_now,
    periodic_job_update,
    schedule_sync,
    schedule_tick,
)
from xinfang.jobs.tests.factories import make_job

pytestmark = pytest.mark.django_db

NOOP = "xinfang.jobs.tests.tasks.noop_task"
MISSING = "xinfang.handling.tasks_not_written_yet.case_sweep_task"


# --- schedule_sync ------------------------------------------------------------------------------


def test_sync_creates_a_due_row_per_entry() -> None:
    now = timezone.now()
    names = schedule_sync(now=now, registry={"a": {"task": NOOP, "every": 300}})

    assert names == ["a"]
    job = PeriodicJob.objects.get(name="a")
    assert (job.task_path, job.every_seconds, job.enabled, job.next_run_at) == (
        NOOP,
        300,
        True,
        now,
    )


def test_sync_keeps_the_admins_interval_and_switch_but_follows_the_codes_task_path() -> None:
    make_job("a", task_path="xinfang.jobs.tasks.prune_task_results", every_seconds=7, enabled=False)

    schedule_sync(now=timezone.now(), registry={"a": {"task": NOOP, "every": 300}})

    job = PeriodicJob.objects.get(name="a")
    assert (job.task_path, job.every_seconds, job.enabled) == (NOOP, 7, False)


def test_sync_deletes_rows_no_longer_in_the_registry() -> None:
    make_job("gone")
    schedule_sync(now=timezone.now(), registry={"a": {"task": NOOP, "every": 300}})
    assert list(PeriodicJob.objects.values_list("name", flat=True)) == ["a"]


def test_sync_logs_and_skips_a_task_that_does_not_import(caplog: pytest.LogCaptureFixture) -> None:
    registry = {
        "cases.sweep": {"task": MISSING, "every": 300},
        "bad.shape": {"task": NOOP, "every": "often"},
        "ok": {"task": NOOP, "every": 60},
    }
    with caplog.at_level(logging.ERROR, logger="xinfang.jobs"):
        names = schedule_sync(now=timezone.now(), registry=registry)

    assert names == ["ok"]
    assert list(PeriodicJob.objects.values_list("name", flat=True)) == ["ok"]
    assert MISSING in caplog.text
    assert "bad.shape" in caplog.text


def test_the_shipped_schedule_imports() -> None:
    names = schedule_sync(now=timezone.now())
    assert {"jobs.prune_results", "jobs.requeue_stale"} <= set(names)


# --- schedule_tick ------------------------------------------------------------------------------


def test_tick_enqueues_a_due_job_once_and_moves_it_on(db_backend: None) -> None:
    now = timezone.now()
    job = make_job("a", next_run_at=now - timedelta(seconds=1), every_seconds=60)
    make_job("later", next_run_at=now + timedelta(seconds=30))

    assert schedule_tick(now=now) == ["a"]
    assert schedule_tick(now=now) == []

    job.refresh_from_db()
    assert job.next_run_at == now - timedelta(seconds=1) + timedelta(seconds=60)
    assert job.last_enqueued_at == now
    result = DBTaskResult.objects.get()
    assert (str(result.pk), result.task_path, result.status) == (
        job.last_result_id,
        NOOP,
        TaskResultStatus.READY,
    )


def test_missed_runs_collapse_into_one(db_backend: None) -> None:
    now = timezone.now()
    # The scheduler was down for ten periods and a bit.
    job = make_job("a", next_run_at=now - timedelta(seconds=605), every_seconds=60)

    assert schedule_tick(now=now) == ["a"]
    assert schedule_tick(now=now + timedelta(seconds=50)) == []

    job.refresh_from_db()
    assert now < job.next_run_at <= now + timedelta(seconds=60)
    # Still on the job's cadence: a whole number of periods after the missed slot.
    assert (job.next_run_at - (now - timedelta(seconds=605))).total_seconds() % 60 == 0
    assert DBTaskResult.objects.count() == 1


def test_disabled_jobs_are_not_enqueued(db_backend: None) -> None:
    make_job("off", enabled=False, next_run_at=timezone.now() - timedelta(hours=1))
    assert schedule_tick(now=timezone.now()) == []
    assert not DBTaskResult.objects.exists()


def test_a_broken_task_path_is_logged_skipped_and_not_retried_every_tick(
    db_backend: None, caplog: pytest.LogCaptureFixture
) -> None:
    now = timezone.now()
    broken = make_job("broken", task_path=MISSING, next_run_at=now)
    make_job("ok", next_run_at=now)

    with caplog.at_level(logging.ERROR, logger="xinfang.jobs"):
        assert schedule_tick(now=now) == ["ok"]
    assert MISSING in caplog.text

    broken.refresh_from_db()
    assert broken.next_run_at == now + timedelta(seconds=60)
    assert broken.last_enqueued_at is None
    assert DBTaskResult.objects.get().task_path == NOOP


def test_tick_on_the_immediate_backend_runs_the_task() -> None:
    job = make_job("a")
    assert schedule_tick(now=timezone.now()) == ["a"]
    job.refresh_from_db()
    assert job.last_result_id


def test_run_scheduler_once(db_backend: None, settings: Any) -> None:
    settings.XINFANG_SCHEDULE = {"a": {"task": NOOP, "every": 60}}
    call_command("run_scheduler", "--once")
    assert DBTaskResult.objects.get().task_path == NOOP
    assert PeriodicJob.objects.get().last_enqueued_at is not None


# --- admin-side services ------------------------------------------------------------------------


def test_run_now_enqueues_without_moving_the_schedule(db_backend: None) -> None:
    later = timezone.now() + timedelta(hours=1)
    job = make_job("a", next_run_at=later)

    result_id = periodic_job_run_now(job=job, now=timezone.now())

    job.refresh_from_db()
    assert (job.last_result_id, job.next_run_at) == (result_id, later)
    assert DBTaskResult.objects.filter(pk=result_id, status=TaskResultStatus.READY).exists()


def test_run_now_refuses_a_broken_path() -> None:
    job = make_job("a", task_path=MISSING)
    with pytest.raises(ApplicationError) as caught:
        periodic_job_run_now(job=job, now=timezone.now())
    assert caught.value.code == "task_unresolvable"


def test_a_shorter_interval_takes_effect_now() -> None:
    now = timezone.now()
    job = make_job("a", every_seconds=86400, next_run_at=now + timedelta(hours=20))

    periodic_job_update(job=job, every_seconds=60, enabled=True, notes="busy week", now=now)

    job.refresh_from_db()
    assert (job.every_seconds, job.next_run_at, job.notes) == (
        60,
        now + timedelta(seconds=60),
        "busy week",
    )
