"""The periodic sweep over running clocks (DESIGN invariant 3).

Duty clocks warn at a share of their period and, when they run out, flag the case overdue,
alert the responsible unit and open a 催办. Windows (复查/复核 requests, ratings) close what
they guard. Unanswered supervision orders escalate. Every step claims its row with a
compare-and-set, so several workers may sweep at once and a re-run does nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from xinfang.cases.clocks import case_due_refresh
from xinfang.cases.models import DUTY_CLOCKS, Case, CaseClock, ClockKind, EventKind
from xinfang.cases.services import InvalidTransition, case_event_append, case_transition
from xinfang.cases.workflow import TERMINAL_STATES, CaseStatus, CloseReason
from xinfang.handling.evaluation import ratings_expire
from xinfang.handling.models import AlertKind, SupervisionLevel, SupervisionOrder, SupervisionStatus
from xinfang.handling.supervision import alert, supervision_escalate, supervision_open

log = logging.getLogger(__name__)
T = TypeVar("T")
BATCH = 500

WINDOW_CLOSES: dict[str, tuple[CloseReason, frozenset[CaseStatus]]] = {
    ClockKind.REEXAM_WINDOW: (
        CloseReason.NO_REEXAM_IN_TIME,
        frozenset(
            {
                CaseStatus.OPINION_ISSUED,
                CaseStatus.REPORT_SUBMITTED,
                CaseStatus.COMPLETION_CONFIRMED,
            }
        ),
    ),
    ClockKind.REVIEW_WINDOW: (
        CloseReason.NO_REVIEW_IN_TIME,
        frozenset({CaseStatus.REEXAM_DECIDED}),
    ),
}


@dataclass
class SweepResult:
    warned: int = 0
    overdue: int = 0
    closed: int = 0
    unrated: int = 0
    escalated: int = 0


def sweep_run(*, now: datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    # A paused clock (复核 hearing) neither warns nor runs out until it resumes (Art. 36).
    warn = CaseClock.objects.filter(
        stopped_at__isnull=True,
        warned_at__isnull=True,
        warn_at__lte=now,
        due_at__gt=now,
        paused_at__isnull=True,
    )
    for clock in warn.select_related("case", "org").order_by("warn_at")[:BATCH]:
        result.warned += _isolated(_warn, clock, now) or 0
    # A petitioner's window closes the case only after the postal grace period.
    grace = now - timedelta(days=settings.XINFANG_WINDOW_GRACE_DAYS)
    windows = list(WINDOW_CLOSES)
    due = CaseClock.objects.filter(
        stopped_at__isnull=True, expired_at__isnull=True, paused_at__isnull=True
    ).filter((Q(due_at__lte=now) & ~Q(kind__in=windows)) | Q(kind__in=windows, due_at__lte=grace))
    related = ("case", "org", "case__region", "case__register_org", "case__holder_org")
    # Oldest first, so a backlog after downtime is worked off in order of lateness.
    for clock in due.select_related(*related).order_by("due_at")[:BATCH]:
        _isolated(_expire, clock, now, result)
    # Orders on a finished case stop escalating: there is nothing left to urge.
    orders = SupervisionOrder.objects.filter(
        status=SupervisionStatus.OPEN, feedback_due__lte=now, level__lt=SupervisionLevel.CIRCULATE
    ).exclude(case__status__in=TERMINAL_STATES)
    for order in orders.select_related("case")[:BATCH]:
        result.escalated += _isolated(supervision_escalate, order=order, now=now) is not None
    return result


def _isolated(step: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run one clock's step; a failure (e.g. a broken document template) is logged and the
    sweep goes on with the next clock — the step's transaction rolled back, so it is retried
    on the next run."""
    try:
        return step(*args, **kwargs)
    except Exception:
        log.exception("sweep step %s failed", getattr(step, "__name__", step))
        return None


def _claim(clock: CaseClock, **fields: datetime) -> bool:
    # Still running: a clock stopped since it was read (the case moved) is left alone.
    null = {f"{name}__isnull": True for name in fields} | {"stopped_at__isnull": True}
    return bool(CaseClock.objects.filter(pk=clock.pk, **null).update(**fields))


@transaction.atomic
def _warn(clock: CaseClock, now: datetime) -> int:
    if not _claim(clock, warned_at=now):
        return 0
    case = clock.case
    case_due_refresh(case=case, now=now)
    case_event_append(
        case=case,
        kind=EventKind.WARNING,
        payload={"clock": clock.kind},
        deadline_before=clock.due_at,
        deadline_after=clock.due_at,
    )
    if clock.org is not None:
        alert(
            org=clock.org,
            case=case,
            kind=AlertKind.WARNING,
            text=f"即将到期：{case.item_number}（{ClockKind(clock.kind).label}）",
        )
    return 1


def _expire(clock: CaseClock, now: datetime, result: SweepResult) -> None:
    with transaction.atomic():
        if not _claim(clock, expired_at=now):
            return
        # Leave the warning index too: a clock that ran out unwarned needs no warning now.
        CaseClock.objects.filter(pk=clock.pk, warned_at__isnull=True).update(warned_at=now)
        case = clock.case
        if clock.kind in DUTY_CLOCKS:
            _overdue(clock, case, now)
            result.overdue += 1
        elif clock.kind == ClockKind.RATING_WINDOW:
            CaseClock.objects.filter(pk=clock.pk).update(stopped_at=now)
            result.unrated += ratings_expire(case=case) > 0
        elif clock.kind in WINDOW_CLOSES:
            result.closed += _close_window(clock, case)
        else:  # the objection window simply lapses
            CaseClock.objects.filter(pk=clock.pk).update(stopped_at=now)


def _overdue(clock: CaseClock, case: Case, now: datetime) -> None:
    case_due_refresh(case=case, now=now)
    case_event_append(
        case=case,
        kind=EventKind.OVERDUE,
        payload={"clock": clock.kind},
        deadline_before=clock.due_at,
        deadline_after=clock.due_at,
    )
    target = clock.org or case.holder_org or case.register_org
    alert(
        org=target,
        case=case,
        kind=AlertKind.OVERDUE,
        text=f"已超期：{case.item_number}（{ClockKind(clock.kind).label}）",
    )
    supervision_open(
        case=case,
        actor=None,
        level=SupervisionLevel.REMIND,
        target_org=target,
        problem=f"{ClockKind(clock.kind).label}已超期，请尽快办理并书面反馈。",
        now=now,
    )


def _close_window(clock: CaseClock, case: Case) -> int:
    reason, states = WINDOW_CLOSES[clock.kind]
    if case.status not in states:
        return 0
    try:
        with transaction.atomic():
            case_transition(
                case=case,
                to=CaseStatus.CLOSED,
                actor=None,
                close_reason=reason,
                updates={"holder_org": None},
            )
    except InvalidTransition:  # moved meanwhile (e.g. a request filed at the last minute)
        log.info("case %s moved before its window closed", case.pk)
        return 0
    return 1
