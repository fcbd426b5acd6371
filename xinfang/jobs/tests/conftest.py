"""Fixtures for the job tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from xinfang.jobs.tests import tasks

DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# transaction=True tests flush only these apps' tables, so the reference data other apps'
# tests rely on (regions, calendar, catalogue) survives them.
JOB_APPS = ["xinfang.jobs", "django_tasks_db"]


@pytest.fixture
def db_backend(settings: Any) -> None:
    """Enqueue into the database, as in production, instead of running at once."""
    settings.TASKS = DB_BACKEND


@pytest.fixture(autouse=True)
def _calls() -> Iterator[list[str]]:
    tasks.CALLS.clear()
    yield tasks.CALLS
    tasks.CALLS.clear()


@pytest.fixture
def runs_table(transactional_db: Any) -> Iterator[str]:
    """A table outside Django's models (so the flush leaves it alone) with a unique key."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {tasks.RUNS_TABLE} (run_key varchar(40) PRIMARY KEY)")
    yield tasks.RUNS_TABLE
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {tasks.RUNS_TABLE}")
