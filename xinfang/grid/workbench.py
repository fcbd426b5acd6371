"""The workbench action that sends a verification task (registered in workbench.actions)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from xinfang.grid.models import VerificationTask
from xinfang.grid.selectors import workers_for_case
from xinfang.grid.services import verification_task_create
from xinfang.orgs.permissions import Perm

if TYPE_CHECKING:
    from xinfang.workbench.actions import Context

TASK_PERMS = frozenset({Perm.CASE_HANDLE, Perm.CASE_ROUTE})


def grid_task_possible(ctx: Context) -> bool:
    """Offered only where a grid system has a worker for the case's place, and never for a
    confidential accusation (verification_task_create refuses those)."""
    if ctx.case.is_confidential_accusation:
        return False
    return workers_for_case(case=ctx.case).exists()


def grid_task_run(ctx: Context, d: dict[str, Any]) -> VerificationTask:
    return verification_task_create(
        case=ctx.case,
        actor=ctx.user,
        worker=d["worker"],
        question=d["question"],
        due_at=d["due_at"],
        actor_org=ctx.acting(TASK_PERMS),
    )
