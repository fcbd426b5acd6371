"""Tasks the job tests enqueue. Module level, because django_tasks finds a task by its path."""

from __future__ import annotations

import time

from django.db import connection
from django_tasks import task

from xinfang.jobs.retry import retrying_task

# Calls seen in this process, for the ImmediateBackend tests (the DB tests count rows instead).
CALLS: list[str] = []
RUNS_TABLE = "jobs_test_run"


class Boom(Exception):
    pass


@task()
def noop_task() -> str:
    return "ok"


@retrying_task(max_attempts=3, base_delay=10, max_delay=25)
def always_fails(*, key: str) -> None:
    CALLS.append(key)
    raise Boom(key)


@retrying_task(max_attempts=5, base_delay=1, max_delay=10)
def fails_twice(*, key: str) -> str:
    CALLS.append(key)
    if CALLS.count(key) < 3:
        raise Boom(key)
    return "done"


@retrying_task(max_attempts=5, retry_on=(ConnectionError,))
def fails_without_retry(*, key: str) -> None:
    CALLS.append(key)
    raise ValueError(key)


@task()
def record_run(*, key: str) -> None:
    """Inserts its key into a table with a unique key: a second run of one task would fail."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {RUNS_TABLE} (run_key) VALUES (%s)", [key])  # noqa: S608
    time.sleep(0.01)  # long enough for the other worker to be busy at the same time
