"""Several schedulers and workers on one PostgreSQL database (SQLite serialises writers anyway).

The workers are real `manage.py run_worker` processes (django-tasks-db's db_worker plus our
scheduler thread), stopped with SIGTERM as a service manager would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from xinfang.jobs.services import schedule_tick
from xinfang.jobs.tests import tasks
from xinfang.jobs.tests.conftest import DB_BACKEND, JOB_APPS
from xinfang.jobs.tests.factories import make_job

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True, available_apps=JOB_APPS),
]

REPO = Path(settings.BASE_DIR)
RECORD = "xinfang.jobs.tests.tasks.record_run"
# The worker under test, with the database backend the test settings replace.
WORKER_SCRIPT = f"""
import sys, django
django.setup()
from django.core.management import call_command
from django.test import override_settings
with override_settings(TASKS={DB_BACKEND!r}):
    call_command("run_worker", *sys.argv[1:])
"""


def _in_threads(n: int, target: Any) -> list[Any]:
    """Run target() in n threads released together; returns their results."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = target()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_concurrent_ticks_enqueue_each_due_job_once(db_backend: None) -> None:
    now = timezone.now()
    for i in range(20):
        make_job(f"job{i:02}", next_run_at=now - timedelta(seconds=i))

    results = _in_threads(4, lambda: schedule_tick(now=now))

    names = [name for result in results for name in result]
    assert sorted(names) == [f"job{i:02}" for i in range(20)]
    assert DBTaskResult.objects.count() == 20


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    def __init__(self, worker_id: str) -> None:
        env = {**os.environ, "DATABASE_URL": _database_url(), "XINFANG_SCHEDULER_INTERVAL": "1"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        args = ["--queue-name", "*", "--interval", "0.05", "--no-startup-delay", "--no-reload"]
        self.proc = subprocess.Popen(  # noqa: S603 our own interpreter and script
            [sys.executable, "-c", WORKER_SCRIPT, *args, "--worker-id", worker_id],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.started = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            if "Starting worker" in line:
                self.started.set()

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


def _wait_until(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_two_workers_never_run_a_task_twice(db_backend: None, runs_table: str) -> None:
    workers = [WorkerProcess("worker-a"), WorkerProcess("worker-b")]
    try:
        for w in workers:
            assert w.started.wait(timeout=60), "".join(w.lines)
        for i in range(50):
            tasks.record_run.enqueue(key=f"k{i:02}")
        records = DBTaskResult.objects.filter(task_path=RECORD)
        assert _wait_until(lambda: records.filter(finished_at__isnull=False).count() == 50, 90)
    finally:
        codes = [w.stop() for w in workers]

    assert codes == [0, 0], "".join(line for w in workers for line in w.lines)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {runs_table}")  # noqa: S608
        assert cursor.fetchone() == (50,)
    assert set(records.values_list("status", flat=True)) == {TaskResultStatus.SUCCESSFUL}
    claims = [r.worker_ids for r in records]
    assert all(len(ids) == 1 for ids in claims)
    assert {ids[0] for ids in claims} == {"worker-a", "worker-b"}
    # Both scheduler threads ticked; the daily prune was enqueued by one of them only.
    pruned = DBTaskResult.objects.filter(task_path="xinfang.jobs.tasks.prune_task_results")
    assert pruned.count() == 1
