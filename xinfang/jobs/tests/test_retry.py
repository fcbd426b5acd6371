from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from xinfang.jobs.errors import RETRY_SCHEDULED_PATH
from xinfang.jobs.retry import ATTEMPT_KWARG, backoff_delay, retrying_task
from xinfang.jobs.tests import tasks
from xinfang.jobs.tests.conftest import JOB_APPS
from xinfang.jobs.tests.factories import run_worker

BOOM = "xinfang.jobs.tests.tasks.Boom"


def test_backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(attempt=n, base_delay=30, max_delay=600, rng=rng) for n in range(1, 9)]
    ceilings = [30, 60, 120, 240, 480, 600, 600, 600]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert delays[:5] == sorted(delays[:5])
    assert backoff_delay(attempt=10_000, base_delay=30, max_delay=600) <= 600


def test_retrying_task_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        retrying_task(max_attempts=0)


# --- ImmediateBackend (the test settings): every attempt runs at once ---------------------------


def test_immediate_backend_runs_every_attempt_then_fails() -> None:
    result = tasks.always_fails.enqueue(key="a")

    assert tasks.CALLS == ["a", "a", "a"]
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class_path == RETRY_SCHEDULED_PATH


def test_immediate_backend_stops_retrying_after_success() -> None:
    tasks.fails_twice.enqueue(key="b")
    assert tasks.CALLS == ["b", "b", "b"]


def test_exceptions_outside_retry_on_fail_at_once() -> None:
    result = tasks.fails_without_retry.enqueue(key="c")
    assert tasks.CALLS == ["c"]
    assert result.errors[0].exception_class_path == "builtins.ValueError"


# --- the database backend and the real worker loop ----------------------------------------------


def _make_ready_now(result: DBTaskResult) -> None:
    DBTaskResult.objects.filter(pk=result.pk).update(run_after=timezone.now())


@pytest.mark.django_db(transaction=True, available_apps=JOB_APPS)
def test_worker_retries_with_growing_delay_then_leaves_it_failed(db_backend: None) -> None:
    tasks.always_fails.enqueue(key="d")
    seen: list[str] = []
    waits = []
    for attempt in (2, 3):
        run_worker()
        failed = DBTaskResult.objects.failed().exclude(pk__in=seen).get()
        assert failed.exception_class_path == RETRY_SCHEDULED_PATH
        assert "Boom: d" in failed.traceback  # the cause's traceback is kept
        nxt = DBTaskResult.objects.get(status=TaskResultStatus.READY)
        assert nxt.args_kwargs["kwargs"] == {"key": "d", ATTEMPT_KWARG: attempt}
        waits.append(nxt.run_after - failed.finished_at)
        seen.append(failed.pk)
        _make_ready_now(nxt)

    run_worker()

    # base 10 s, cap 25 s: the first wait is in [5, 10] s, the second in [10, 20] s.
    assert timedelta(seconds=4) <= waits[0] <= timedelta(seconds=11)
    assert timedelta(seconds=9) <= waits[1] <= timedelta(seconds=21)
    assert waits[1] >= waits[0]
    last = DBTaskResult.objects.failed().exclude(pk__in=seen).get()
    assert last.exception_class_path == BOOM
    assert last.args_kwargs["kwargs"][ATTEMPT_KWARG] == 3
    assert DBTaskResult.objects.count() == 3  # no fourth attempt queued


@pytest.mark.django_db(transaction=True, available_apps=JOB_APPS)
def test_worker_retry_keeps_queue_and_priority(db_backend: None) -> None:
    tasks.always_fails.using(priority=5).enqueue(key="e")
    run_worker()
    nxt = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert (nxt.priority, nxt.queue_name) == (5, "default")
