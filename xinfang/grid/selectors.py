"""Reads for proxy agents, grid systems and verification tasks."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from xinfang.cases.models import Case
from xinfang.cases.selectors import case_get_for_user
from xinfang.core.credentials import credential_digest
from xinfang.grid.models import (
    GridEvent,
    GridSystem,
    GridWorker,
    ProxyAuthorisation,
    TaskStatus,
    VerificationPhoto,
    VerificationTask,
)
from xinfang.orgs.models import Org
from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import region_ancestors, staff_scope

TASK_PAGE_MAX = 500


def grid_system_by_token(*, token: str) -> GridSystem | None:
    return (
        GridSystem.objects.select_related("region")
        .filter(token_hash=credential_digest(token), is_active=True)
        .first()
    )


def proxy_agent_org(*, user: object) -> Org | None:
    """The unit through which a user acts as a proxy agent; None if they may not."""
    for acting in staff_scope(user=user).memberships:
        if Perm.PROXY_SUBMIT in acting.perms:
            return acting.org
    return None


def proxy_list_for_agent(*, user: object) -> QuerySet[ProxyAuthorisation]:
    """The petitions this agent submitted, newest first."""
    return (
        ProxyAuthorisation.objects.filter(agent_id=getattr(user, "pk", None))
        .select_related("case", "case__petition_type")
        .order_by("-created_at", "-pk")
    )


def proxy_get_for_agent(*, user: object, case_id: int) -> ProxyAuthorisation | None:
    return proxy_list_for_agent(user=user).filter(case_id=case_id).first()


def task_list_for_system(
    *,
    system: GridSystem,
    since: datetime | None = None,
    grid_code: str = "",
    limit: int = TASK_PAGE_MAX,
) -> list[VerificationTask]:
    """A grid system's tasks, oldest change first: the open ones, or, with `since`, every task
    changed at or after it (cancellations too, so the system can withdraw them). Inclusive,
    so a client that passes the last `updated_at` it saw may get that task again but never
    misses one that changed in the same instant."""
    tasks = VerificationTask.objects.filter(system=system)
    if since is None:
        tasks = tasks.filter(status=TaskStatus.OPEN)
    else:
        tasks = tasks.filter(updated_at__gte=since)
    if grid_code:
        tasks = tasks.filter(worker__grid_code=grid_code)
    tasks = tasks.select_related("worker", "case", "case__region", "case__grid_event")
    return list(tasks.order_by("updated_at", "pk")[: min(limit, TASK_PAGE_MAX)])


def task_get_for_system(*, system: GridSystem, task_id: int) -> VerificationTask | None:
    """Another system's task is simply not found."""
    return (
        VerificationTask.objects.select_related("case", "worker")
        .filter(system=system, pk=task_id)
        .first()
    )


def workers_for_case(*, case: Case) -> QuerySet[GridWorker]:
    """Active workers of active systems for the case's place: those working inside its region,
    or, when the case is placed more finely than any worker, those of the regions above it."""
    chain = [r.pk for r in region_ancestors(region=case.region)]
    return (
        GridWorker.objects.filter(is_active=True, system__is_active=True)
        .filter(Q(region__code__startswith=case.region.prefix) | Q(region__in=chain))
        .select_related("region")
        .order_by("grid_code", "name")
    )


def worker_of_case_event(*, case: Case) -> GridWorker | None:
    """The worker who reported the grid event a case came from, if any."""
    event = GridEvent.objects.filter(case=case).select_related("worker").first()
    return event.worker if event is not None else None


def task_list_for_case(*, case: Case) -> QuerySet[VerificationTask]:
    return case.verification_tasks.select_related("worker").prefetch_related("photos")


def photo_get_for_staff(*, user: object, photo_id: int) -> VerificationPhoto | None:
    photo = VerificationPhoto.objects.filter(pk=photo_id).select_related("task").first()
    if photo is None or case_get_for_user(user=user, case_id=photo.task.case_id) is None:
        return None
    return photo
