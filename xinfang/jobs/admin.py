"""Jobs in the admin: the periodic schedule, and every task result with its traceback.

django-tasks-db registers a read-only DBTaskResultAdmin; it is replaced here by a subclass with
filters by outcome and task path and a "retry" action for failed jobs.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_tasks.base import TaskResultStatus
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from xinfang.core.errors import ApplicationError
from xinfang.jobs.errors import RETRY_SCHEDULED_PATH, WORKER_LOST_PATH
from xinfang.jobs.models import PeriodicJob
from xinfang.jobs.retry import ATTEMPT_KWARG
from xinfang.jobs.services import (
    periodic_job_run_now,
    periodic_job_set_enabled,
    periodic_job_update,
    task_result_retry,
)

_SUPERSEDED = Q(exception_class_path__in=[RETRY_SCHEDULED_PATH, WORKER_LOST_PATH])
_FINAL_FAILURE = Q(status=TaskResultStatus.FAILED) & ~_SUPERSEDED


class OutcomeFilter(admin.SimpleListFilter):
    """A failed attempt whose retry is already queued needs nobody; a final failure does."""

    title = _("失败类型")
    parameter_name = "outcome"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("final", _("最终失败")), ("superseded", _("已自动重试"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "final":
            return queryset.filter(_FINAL_FAILURE)
        if self.value() == "superseded":
            return queryset.filter(_SUPERSEDED, status=TaskResultStatus.FAILED)
        return queryset


class TaskPathFilter(admin.SimpleListFilter):
    title = _("任务")
    parameter_name = "task_path"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        paths = DBTaskResult.objects.order_by("task_path").values_list("task_path", flat=True)
        return [(path, path) for path in paths.distinct()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(task_path=self.value()) if self.value() else queryset


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    # task_path rather than the parent's task_name, which imports every row's task and breaks
    # the page when one no longer does.
    list_display = (
        "id",
        "task_path",
        "status",
        "attempt",
        "enqueued_at",
        "started_at",
        "finished_at",
        "queue_name",
    )
    # The parent's inferred type allows field names only, not filter classes.
    list_filter = ("status", OutcomeFilter, TaskPathFilter, "queue_name")  # type: ignore[assignment]
    search_fields = ("task_path",)
    actions = ["retry_failed"]

    @admin.display(description=_("第几次"))
    def attempt(self, obj: DBTaskResult) -> int:
        return int(obj.args_kwargs.get("kwargs", {}).get(ATTEMPT_KWARG, 1))

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("django_tasks_database.change_dbtaskresult"))

    @admin.action(description=_("重试所选的失败任务"), permissions=["retry"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[DBTaskResult]) -> None:
        final = queryset.filter(_FINAL_FAILURE)
        skipped = queryset.count() - final.count()
        retried = 0
        for result in final:
            try:
                task_result_retry(result=result)
                retried += 1
            except ApplicationError as exc:
                self.message_user(request, f"{result.pk}: {exc.message}", messages.ERROR)
        self.message_user(request, _("已重新入队 %(n)d 个任务。") % {"n": retried})
        if skipped:
            self.message_user(
                request,
                _("%(n)d 个任务未重试：只重试最终失败的任务。") % {"n": skipped},
                messages.WARNING,
            )


@admin.register(PeriodicJob)
class PeriodicJobAdmin(admin.ModelAdmin):
    """Rows come from XINFANG_SCHEDULE: no adding or deleting here, only tuning."""

    list_display = (
        "name",
        "task_path",
        "every_seconds",
        "enabled",
        "next_run_at",
        "last_enqueued_at",
        "last_result",
    )
    list_filter = ("enabled",)
    search_fields = ("name", "task_path")
    fields = (
        "name",
        "task_path",
        "every_seconds",
        "enabled",
        "next_run_at",
        "last_enqueued_at",
        "last_result",
        "notes",
    )
    readonly_fields = ("name", "task_path", "next_run_at", "last_enqueued_at", "last_result")
    actions = ["enable", "disable", "run_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("上次任务结果"))
    def last_result(self, obj: PeriodicJob) -> str:
        try:
            uuid.UUID(obj.last_result_id)
        except ValueError:
            return obj.last_result_id or "-"
        url = reverse("admin:django_tasks_database_dbtaskresult_change", args=[obj.last_result_id])
        return format_html('<a href="{}">{}</a>', url, obj.last_result_id)

    def save_model(self, request: HttpRequest, obj: PeriodicJob, form: Any, change: bool) -> None:
        periodic_job_update(
            job=obj,
            every_seconds=obj.every_seconds,
            enabled=obj.enabled,
            notes=obj.notes,
            now=timezone.now(),
        )

    @admin.action(description=_("启用"), permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet[PeriodicJob]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        n = periodic_job_set_enabled(job_ids=ids, enabled=True)
        self.message_user(request, _("已启用 %(n)d 个定时任务。") % {"n": n})

    @admin.action(description=_("停用"), permissions=["change"])
    def disable(self, request: HttpRequest, queryset: QuerySet[PeriodicJob]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        n = periodic_job_set_enabled(job_ids=ids, enabled=False)
        self.message_user(request, _("已停用 %(n)d 个定时任务。") % {"n": n})

    @admin.action(description=_("立即运行"), permissions=["change"])
    def run_now(self, request: HttpRequest, queryset: QuerySet[PeriodicJob]) -> None:
        for job in queryset:
            try:
                result_id = periodic_job_run_now(job=job, now=timezone.now())
            except ApplicationError as exc:
                self.message_user(request, f"{job.name}: {exc.message}", messages.ERROR)
                continue
            self.message_user(
                request, _("%(name)s 已入队：%(id)s") % {"name": job.name, "id": result_id}
            )
