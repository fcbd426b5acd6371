from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from xinfang.jobs.errors import RETRY_SCHEDULED_PATH
from xinfang.jobs.models import PeriodicJob
from xinfang.jobs.retry import ATTEMPT_KWARG
from xinfang.jobs.tests.factories import make_job, make_result
from xinfang.signin.tests.helpers import force_login_verified

pytestmark = pytest.mark.django_db

RESULTS = "admin:django_tasks_database_dbtaskresult_changelist"
JOBS = "admin:jobs_periodicjob_changelist"


@pytest.fixture
def admin_client(client: Any, admin_user: Any) -> Any:
    """A superuser past the second factor, as the admin requires."""
    force_login_verified(client, admin_user)
    return client


def test_failed_jobs_are_listed_by_outcome_and_task(admin_client: Any) -> None:
    final = make_result(task_path="xinfang.jobs.tests.tasks.always_fails")
    make_result(exception_class_path=RETRY_SCHEDULED_PATH)
    make_result(status=TaskResultStatus.SUCCESSFUL)

    response = admin_client.get(
        reverse(RESULTS),
        {"status__exact": "FAILED", "outcome": "final", "task_path": final.task_path},
    )

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [final]


def test_a_failed_jobs_traceback_is_shown(admin_client: Any) -> None:
    failed = make_result(traceback="Traceback …\nValueError: the petition id 42 vanished")
    url = reverse("admin:django_tasks_database_dbtaskresult_change", args=[failed.pk])
    assert "the petition id 42 vanished" in admin_client.get(url).content.decode()


def test_retry_action_requeues_final_failures_with_the_same_arguments(
    admin_client: Any, db_backend: None
) -> None:
    args_kwargs = {"args": [], "kwargs": {"key": "x", ATTEMPT_KWARG: 3}}
    final = make_result(task_path="xinfang.jobs.tests.tasks.always_fails", args_kwargs=args_kwargs)
    superseded = make_result(exception_class_path=RETRY_SCHEDULED_PATH)

    response = admin_client.post(
        reverse(RESULTS),
        {"action": "retry_failed", "_selected_action": [str(final.pk), str(superseded.pk)]},
        follow=True,
    )

    assert response.status_code == 200
    again = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert (again.task_path, again.args_kwargs) == (
        final.task_path,
        {"args": [], "kwargs": {"key": "x"}},
    )


def test_periodic_jobs_list_and_run_now(admin_client: Any, db_backend: None) -> None:
    job = make_job("a", next_run_at=timezone.now() + timedelta(hours=1))

    assert admin_client.get(reverse(JOBS)).status_code == 200
    admin_client.post(reverse(JOBS), {"action": "run_now", "_selected_action": [job.pk]})

    job.refresh_from_db()
    assert DBTaskResult.objects.filter(pk=job.last_result_id).exists()
    assert job.next_run_at > timezone.now() + timedelta(minutes=59)
    assert job.last_result_id in admin_client.get(reverse(JOBS)).content.decode()


def test_disable_and_enable_actions(admin_client: Any) -> None:
    job = make_job("a")
    admin_client.post(reverse(JOBS), {"action": "disable", "_selected_action": [job.pk]})
    assert PeriodicJob.objects.get(pk=job.pk).enabled is False
    admin_client.post(reverse(JOBS), {"action": "enable", "_selected_action": [job.pk]})
    assert PeriodicJob.objects.get(pk=job.pk).enabled is True


def test_editing_a_job_goes_through_the_service(admin_client: Any) -> None:
    job = make_job("a", every_seconds=86400, next_run_at=timezone.now() + timedelta(hours=20))
    url = reverse("admin:jobs_periodicjob_change", args=[job.pk])

    response = admin_client.post(url, {"every_seconds": 120, "enabled": "on", "notes": "n"})

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.every_seconds == 120
    assert job.next_run_at <= timezone.now() + timedelta(seconds=120)
