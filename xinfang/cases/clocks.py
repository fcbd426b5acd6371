"""Writes for a case's time limits. Only this module touches CaseClock and Case.due_*.

A case can have several clocks at once (after forwarding: 15 days to notify and 5 working days
to object); the case row mirrors the earliest running *duty* clock so that queues sort on one
indexed column. Callers run these inside the transaction of the move that starts or stops them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q

from xinfang.cases.models import DUTY_CLOCKS, Case, CaseClock, ClockKind, DueState
from xinfang.catalog.models import DeadlineProfile, TimeUnit
from xinfang.clock.engine import Deadline
from xinfang.clock.selectors import deadline_add, deadline_compute, deadline_profile
from xinfang.core.errors import ApplicationError, Msg
from xinfang.orgs.models import Org


@dataclass(frozen=True)
class ClockStart:
    """Start `kind` now: from a deadline profile, or at a due time someone set (交办 reports)."""

    kind: ClockKind
    profile: str | None = None
    due_at: datetime | None = None
    org: Org | None = None
    start: datetime | None = None  # when the period began, if not at the move (送达 dates)


@dataclass(frozen=True)
class ClockStop:
    """Stop running clocks of these kinds (all running clocks when `kinds` is empty)."""

    kinds: frozenset[ClockKind] = frozenset()


@dataclass(frozen=True)
class ClockExtend:
    """Add calendar days to the running clock of `kind` (an approved extension)."""

    kind: ClockKind
    days: int


@dataclass(frozen=True)
class ClockPause:
    """Pause (`resume=False`) or resume the running clock of `kind` (复核 hearings)."""

    kind: ClockKind
    resume: bool = False


ClockChange = ClockStart | ClockStop | ClockExtend | ClockPause


def warn_at(started: datetime, due: datetime) -> datetime:
    """When the sweep warns: a configurable fraction of the period (DESIGN invariant 3)."""
    fraction = float(settings.XINFANG_WARN_FRACTION)
    return started + (due - started) * fraction


def _profile(code: str) -> DeadlineProfile:
    profile = deadline_profile(code=code)
    if profile is None:  # reference data missing: refuse rather than run without a clock
        raise ApplicationError(
            Msg("缺少时限配置：{c}", "Deadline profile missing: {c}").format(c=code),
            code="profile_missing",
        )
    return profile


def clock_new(change: ClockStart, now: datetime) -> CaseClock:
    """An unsaved clock for `change` starting at `now` (intake fills the case from it before
    either row is written, saving a round trip on the hottest path)."""
    if change.profile:
        profile = _profile(change.profile)
        due = deadline_compute(profile=profile, start=now)
    elif change.due_at is not None:
        profile, due = None, Deadline(change.due_at, change.due_at, provisional=False)
    else:
        raise ValueError("a clock needs a profile or a due time")
    return CaseClock(
        kind=change.kind,
        org=change.org,
        profile=profile,
        started_at=now,
        nominal_due=due.nominal,
        due_at=due.due,
        provisional=due.provisional,
        warn_at=warn_at(now, due.due) if change.kind in DUTY_CLOCKS else None,
    )


def _start(case: Case, change: ClockStart, now: datetime) -> CaseClock:
    clock = clock_new(change, change.start or now)
    clock.case = case
    clock.save(force_insert=True)
    return clock


def clocks_apply(*, case: Case, changes: Sequence[ClockChange], now: datetime) -> None:
    """Stop and start clocks as one move requires, then refresh the case's mirror."""
    for change in changes:
        if isinstance(change, ClockStop):
            qs = CaseClock.objects.filter(case=case, stopped_at__isnull=True)
            if change.kinds:
                qs = qs.filter(kind__in=change.kinds)
            qs.update(stopped_at=now)
        elif isinstance(change, ClockStart):
            _start(case, change, now)
        else:
            clock = _running_one(case, change.kind)
            if isinstance(change, ClockExtend):
                _extend(clock, change.days)
            elif change.resume:
                _resume(clock, now)
            else:
                _pause(clock, now)
    case_due_refresh(case=case, now=now)


def _running_one(case: Case, kind: ClockKind) -> CaseClock:
    clock = CaseClock.objects.filter(case=case, kind=kind, stopped_at__isnull=True).last()
    if clock is None:
        raise ApplicationError(
            Msg("该信访件没有正在计时的{k}。", "No running {k} on this case.").format(
                k=ClockKind(kind).label
            ),
            code="no_clock",
        )
    return clock


def case_due_refresh(*, case: Case, now: datetime) -> None:
    """Mirror the earliest running duty clock onto the case row (or clear it)."""
    clock = (
        CaseClock.objects.filter(case=case, stopped_at__isnull=True, kind__in=DUTY_CLOCKS)
        .order_by("due_at")
        .first()
    )
    fields: dict[str, Any]
    if clock is None:
        fields = {"due_at": None, "due_provisional": False, "due_state": DueState.NORMAL}
    else:
        state = DueState.NORMAL
        if clock.expired_at is not None or clock.due_at <= now:
            state = DueState.OVERDUE
        elif clock.warned_at is not None or (clock.warn_at and clock.warn_at <= now):
            state = DueState.WARNING
        fields = {
            "due_at": clock.due_at,
            "due_provisional": clock.provisional,
            "due_state": state,
        }
    Case.objects.filter(pk=case.pk).update(**fields)
    for name, value in fields.items():
        setattr(case, name, value)


def _whole_days(profile: DeadlineProfile | None) -> bool:
    return profile is None or profile.unit in (TimeUnit.CALENDAR_DAY, TimeUnit.WORKING_DAY)


# The three below change one clock; clocks_apply, their only caller, then refreshes the case.
def _extend(clock: CaseClock, days: int) -> None:
    """Add `days` calendar days to a running clock (Art. 34: at most 30 in total)."""
    limit = int(settings.XINFANG_MAX_EXTENSION_DAYS)
    if days < 1 or clock.extended_days + days > limit:
        raise ApplicationError(
            Msg(
                "延期天数须为 1 至 {n} 天（累计）。", "Extension must be 1–{n} days in total."
            ).format(n=limit),
            code="extension_limit",
        )
    clock.extended_days += days
    # Counted on from the period's nominal end, then rolled past rest days like any period.
    moved = deadline_add(start=clock.nominal_due, amount=days, unit=TimeUnit.CALENDAR_DAY)
    clock.nominal_due, clock.due_at = moved.nominal, moved.due
    clock.provisional = clock.provisional or moved.provisional
    clock.warn_at = warn_at(clock.started_at, clock.due_at)
    # A new due date earns a new warning; an overdue clock stays overdue until it is met.
    clock.warned_at = None
    clock.save(
        update_fields=[
            "extended_days",
            "due_at",
            "nominal_due",
            "provisional",
            "warn_at",
            "warned_at",
        ]
    )


def _pause(clock: CaseClock, now: datetime) -> None:
    """Hearing time is not counted in the 复核 period (Art. 36)."""
    if clock.paused_at is None:
        clock.paused_at = now
        clock.save(update_fields=["paused_at"])


def _resume(clock: CaseClock, now: datetime) -> None:
    if clock.paused_at is None:
        return
    elapsed = now - clock.paused_at
    # Day limits move by whole days (a hearing afternoon costs the petitioner no day).
    days = math.ceil(elapsed / timedelta(days=1)) if _whole_days(clock.profile) else 0
    shift = timedelta(days=days) if days else elapsed
    clock.due_at += shift
    clock.nominal_due += shift
    clock.paused_days += days
    clock.paused_at = None
    clock.warn_at = warn_at(clock.started_at, clock.due_at)
    clock.save(update_fields=["due_at", "nominal_due", "paused_days", "paused_at", "warn_at"])


def provisional_clocks() -> Iterable[CaseClock]:
    """Running clocks computed on a rule-based year, to recompute when the table changes."""
    return (
        CaseClock.objects.filter(
            Q(provisional=True), stopped_at__isnull=True, profile__isnull=False
        )
        .select_related("profile", "case")
        .iterator(chunk_size=500)
    )


def clock_recompute(*, clock: CaseClock, now: datetime) -> tuple[datetime, datetime] | None:
    """Recompute a profile clock on the current calendar, keeping extensions and pauses.

    Returns (before, after) when the due time moved. Compare-and-set on the old due time so a
    concurrent extension is never overwritten.
    """
    assert clock.profile is not None  # noqa: S101 — provisional_clocks() selects profile clocks
    base = deadline_compute(profile=clock.profile, start=clock.started_at)
    provisional = base.provisional
    extra = clock.extended_days + clock.paused_days
    if extra:
        base = deadline_add(start=base.nominal, amount=extra, unit=TimeUnit.CALENDAR_DAY)
    new_due, provisional = base.due, provisional or base.provisional
    if (new_due, provisional) == (clock.due_at, clock.provisional):
        return None
    updated = CaseClock.objects.filter(pk=clock.pk, due_at=clock.due_at).update(
        due_at=new_due,
        nominal_due=base.nominal,
        provisional=provisional,
        warn_at=warn_at(clock.started_at, new_due) if clock.kind in DUTY_CLOCKS else None,
    )
    if not updated:
        return None
    before = clock.due_at
    case_due_refresh(case=clock.case, now=now)
    return before, new_due
