"""One fact row per case: the KPI formulas of DOMAIN.md §8 applied to a case's events, clocks,
ratings, revisits and supervision orders.

Each KPI part (models.PARTS) gets a day — the local date that puts the case in a period, or
None when the case is not (yet) in that denominator — and a numerator. A case enters a
"due" denominator (K-1, K-2, K-3, K-12, K-17) once it is decided: answered, or its due time
has passed while it was still owed. Figures are as of the last refresh, not as of the period's
end (a case answered late after the period counts as answered, late).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet

from xinfang.analytics.kpis import EXCLUSION_PARTS
from xinfang.analytics.models import PARTS, CaseFact, Exclusion
from xinfang.cases.models import Case, CaseClock, CaseEvent, ClockKind, EventKind
from xinfang.cases.workflow import CaseStatus, CloseReason
from xinfang.catalog.models import Category
from xinfang.documents.choices import DocumentKind, ReviewOutcome
from xinfang.handling.models import (
    Rating,
    RatingParty,
    RatingValue,
    RevisitOutcome,
    RevisitTask,
    SupervisionOrder,
)

S = CaseStatus
DISPATCH = frozenset({S.FORWARDED, S.ASSIGNED})
# Written notices to the petitioner that discharge the 15-day duty of Art. 23 (K-16).
NOTICE_KINDS = frozenset(
    {
        DocumentKind.RECEIPT_NOTICE,
        DocumentKind.FORWARD_NOTICE,
        DocumentKind.REDIRECT_NOTICE,
        DocumentKind.DIVERT_NOTICE,
        DocumentKind.NOT_ACCEPTED_NOTICE,
    }
)
CHANGED = frozenset({ReviewOutcome.REVISE, ReviewOutcome.REVOKE})
FAST_PROFILE = "fast-10wd"


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_day(dt: datetime | None) -> date | None:
    # The settings' zone, not the active one: a fact must not depend on who triggered it
    # (and timezone.localtime's per-call lookup was a tenth of a full rebuild).
    return dt.astimezone(_zone(settings.TIME_ZONE)).date() if dt is not None else None


# Plain rows of what a fact reads. A rebuild reads about ten events and three clocks per case;
# model instances and per-case prefetch querysets cost three times the KPI logic itself.
@dataclass(frozen=True, slots=True)
class CaseRow:
    pk: int
    lead_org_id: int | None
    register_org_id: int
    region_prefix: str
    category_id: int | None
    channel: str
    type_code: str
    type_kind: str
    accused_name: str | None
    accused_unit: str
    received_at: datetime
    accepted_at: datetime | None
    registered_at: datetime | None
    is_anonymous: bool
    repeat_of_id: int | None


@dataclass(frozen=True, slots=True)
class EventRow:
    kind: str
    from_status: str
    to_status: str
    payload: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ClockRow:
    kind: str
    started_at: datetime
    nominal_due: datetime
    due_at: datetime
    stopped_at: datetime | None
    expired_at: datetime | None
    extended_days: int
    profile_code: str | None


@dataclass(frozen=True, slots=True)
class RatingRow:
    value: str
    rated_at: datetime


@dataclass(frozen=True, slots=True)
class RevisitRow:
    is_open: bool
    outcome: str
    done_at: datetime | None
    created_at: datetime


@dataclass
class CaseData:
    """One case and the rows of its events, clocks, unit ratings, revisits and 督办 orders,
    each in the order the KPI rules read them."""

    case: CaseRow
    events: list[EventRow] = field(default_factory=list)
    clocks: list[ClockRow] = field(default_factory=list)
    ratings: list[RatingRow] = field(default_factory=list)
    revisits: list[RevisitRow] = field(default_factory=list)
    supervisions: list[datetime] = field(default_factory=list)  # created_at, in order


def _grouped(
    qs: QuerySet[Any], fields: Sequence[str], into: dict[int, CaseData], attr: str, make: Any
) -> None:
    """Append make(*row) to into[case_id].<attr> for each row (the first field is case_id)."""
    for case_id, *values in qs.values_list("case_id", *fields).iterator(chunk_size=5000):
        getattr(into[case_id], attr).append(make(*values))


def cases_load(case_ids: Sequence[int]) -> list[CaseData]:
    """Everything the facts of these cases need, in six queries."""
    out: dict[int, CaseData] = {}
    columns = (
        "pk", "lead_org_id", "register_org_id", "region__prefix", "category_id", "channel",
        "petition_type__code", "petition_type__kind", "accused_org__name", "accused_unit",
        "received_at", "accepted_at", "registered_at", "is_anonymous", "repeat_of_id",
    )  # fmt: skip
    for row in Case.objects.filter(pk__in=case_ids).order_by("pk").values_list(*columns):
        out[row[0]] = CaseData(CaseRow(*row))
    ids = list(out)
    events = CaseEvent.objects.filter(case_id__in=ids).order_by("pk")
    event_fields = ("kind", "from_status", "to_status", "payload", "created_at")
    _grouped(events, event_fields, out, "events", EventRow)
    clocks = CaseClock.objects.filter(case_id__in=ids).order_by("started_at", "pk")
    clock_fields = (
        "kind", "started_at", "nominal_due", "due_at", "stopped_at", "expired_at",
        "extended_days", "profile__code",
    )  # fmt: skip
    _grouped(clocks, clock_fields, out, "clocks", ClockRow)
    ratings = Rating.objects.filter(case_id__in=ids, party=RatingParty.UNIT)
    _grouped(ratings.order_by("round", "pk"), ("value", "rated_at"), out, "ratings", RatingRow)
    revisits = RevisitTask.objects.filter(case_id__in=ids).order_by("pk")
    revisit_fields = ("is_open", "outcome", "done_at", "created_at")
    _grouped(revisits, revisit_fields, out, "revisits", RevisitRow)
    orders = SupervisionOrder.objects.filter(case_id__in=ids).order_by("created_at", "pk")
    _grouped(orders, ("created_at",), out, "supervisions", lambda created: created)
    return list(out.values())


class CategoryTops:
    """First-level category of any category id (the catalogue is small: read once)."""

    def __init__(self) -> None:
        self._parent = dict(Category.objects.values_list("pk", "parent_id"))

    def top(self, category_id: int | None) -> int:
        seen = 0
        while category_id is not None and self._parent.get(category_id) is not None and seen < 5:
            category_id = self._parent[category_id]
            seen += 1
        return category_id or 0


def county_prefix(prefix: str) -> str:
    """The county-level part of a division prefix (townships roll up to their county)."""
    return prefix[:6]


@dataclass
class _Ctx:
    data: CaseData
    now: datetime

    @property
    def case(self) -> CaseRow:
        return self.data.case

    @property
    def events(self) -> list[EventRow]:
        return self.data.events

    def status_events(self, *to: str) -> list[EventRow]:
        return [e for e in self.events if e.kind == EventKind.STATUS and e.to_status in to]

    def first_status(self, *to: str) -> EventRow | None:
        found = self.status_events(*to)
        return found[0] if found else None

    def clocks_of(self, kind: ClockKind) -> list[ClockRow]:
        return [c for c in self.data.clocks if c.kind == kind]


def _ended_early(clock: ClockRow) -> bool:
    """The clock was stopped before its due time by something other than meeting the duty
    (a return, a withdrawal, a re-forwarding): the case does not count for that limit."""
    return (
        clock.stopped_at is not None
        and clock.expired_at is None
        and clock.stopped_at < clock.due_at
    )


def kpi_due(clock: ClockRow) -> datetime:
    """The due time KPIs measure an organ against: the nominal end of the period by default
    (DOMAIN C-2; legal-breach flags use the rolled one), or the rolled one when configured."""
    rolled = getattr(settings, "XINFANG_KPI_DUE", "nominal") == "rolled"
    return clock.due_at if rolled else clock.nominal_due


def _set(fact: CaseFact, part: str, day: date | None, num: int) -> None:
    setattr(fact, f"{part}_day", day)
    setattr(fact, f"{part}_num", num if day is not None else 0)


def fact_compute(
    *, data: CaseData, now: datetime, tops: CategoryTops, exclusions: Sequence[Exclusion] = ()
) -> CaseFact:
    """The fact row of one case (unsaved), from its rows as cases_load() reads them."""
    ctx = _Ctx(data, now)
    case = data.case
    fact = CaseFact(
        case_id=case.pk,
        org_id=case.lead_org_id or case.register_org_id,
        register_org_id=case.register_org_id,
        region=county_prefix(case.region_prefix),
        category_id=tops.top(case.category_id),
        channel=case.channel,
        petition_type=case.type_code,
        accused=(case.accused_name if case.accused_name is not None else case.accused_unit)[:128],
        received_at=case.received_at,
        computed_at=now,
    )
    _set(fact, "vol", local_day(case.received_at), 1)
    rechecks: list[datetime] = []
    _dispatch(ctx, fact, rechecks)
    _handling(ctx, fact, rechecks)
    _ratings(ctx, fact, rechecks)
    _revisits(ctx, fact)
    _flags(ctx, fact)
    _notice(ctx, fact, rechecks)
    _review(ctx, fact)
    _exclude(fact, exclusions)
    future = [t for t in rechecks if t > now]
    fact.recheck_at = min(future) if future else None
    return fact


def _dispatch(ctx: _Ctx, fact: CaseFact, rechecks: list[datetime]) -> None:
    """K-1 signing, K-4 response, K-10 returns (退单)."""
    dispatches = ctx.status_events(*DISPATCH)
    if not dispatches:
        return
    first, last = dispatches[0], dispatches[-1]
    fact.dispatched_at = first.created_at
    _set(fact, "dsp", local_day(first.created_at), int(bool(ctx.status_events(S.ASSIGNED))))
    fact.dispatch_org_id = int(first.payload.get("to_org") or fact.org_id)
    notices = [c for c in ctx.clocks_of(ClockKind.NOTICE) if c.started_at >= last.created_at]
    signed = (
        ctx.case.accepted_at
        if ctx.case.accepted_at and ctx.case.accepted_at >= last.created_at
        else None
    )
    fact.signed_at = signed
    if notices:
        clock = notices[-1]
        due = fact.sign_due = kpi_due(clock)
        # Removed: returned and agreed (a later dispatch replaces it), or stopped unsigned.
        decided = signed is not None or (due < ctx.now and not _ended_early(clock))
        if decided:
            on_time = int(signed is not None and signed <= due)
            _set(fact, "k1", local_day(due), on_time)
            if not ctx.case.is_anonymous:  # no notice duty without a name or address (N8)
                _response(ctx, fact, last, due)
        elif signed is None and clock.stopped_at is None:
            rechecks.append(due)
    objections = ctx.status_events(S.OBJECTED)
    fact.returned = bool(objections)
    _set(fact, "k10", local_day(first.created_at), int(fact.returned))
    if objections:
        rejected = any(
            e.kind == EventKind.STATUS and e.payload.get("objection") == "rejected"
            for e in ctx.events
        )
        fact.return_rejected = rejected
        _set(fact, "k10b", local_day(objections[0].created_at), int(rejected))


def _response(ctx: _Ctx, fact: CaseFact, dispatch: EventRow, due: datetime) -> None:
    """K-4: the lead unit told the petitioner in writing (receipt notice) within the limit."""
    told = [
        e.created_at
        for e in ctx.events
        if e.kind == EventKind.DOCUMENT
        and e.payload.get("kind") == DocumentKind.RECEIPT_NOTICE
        and e.created_at >= dispatch.created_at
    ]
    _set(fact, "k4", local_day(dispatch.created_at), int(bool(told) and told[0] <= due))


def _handling(ctx: _Ctx, fact: CaseFact, rechecks: list[datetime]) -> None:
    """K-2 on time, K-3 completion, K-12 overdue, K-17 60-day opinion, K-11 re-handling."""
    opinion = ctx.first_status(S.OPINION_ISSUED)
    closed = ctx.first_status(S.CLOSED)
    fact.replied_at = opinion.created_at if opinion else None
    done = [e.created_at for e in (opinion, closed) if e is not None]
    fact.done_at = min(done) if done else None
    if opinion is not None:
        rehandled = any(
            e.kind == EventKind.STATUS and e.payload.get("rehandle") for e in ctx.events
        )
        fact.rehandled = rehandled
        _set(fact, "k11", local_day(opinion.created_at), int(rehandled))
        _set(
            fact,
            "k18",
            local_day(opinion.created_at),
            int(bool(ctx.status_events(S.REEXAM_REQUESTED))),
        )
    handles = ctx.clocks_of(ClockKind.HANDLE)
    if not handles:
        return
    clock = handles[0]  # the first handling period; a re-handling is K-11's business
    due = fact.handle_due = kpi_due(clock)
    fact.extended_days = clock.extended_days
    done_at = fact.done_at
    if done_at is None and due >= ctx.now:
        rechecks.append(due)
        return
    day = local_day(due)
    on_time = int(done_at is not None and done_at <= due)
    fact.overdue = not on_time
    _set(fact, "k2", day, on_time)
    _set(fact, "k3", day, int(done_at is not None))
    _set(fact, "k12", day, 1 - on_time)
    appeal = ctx.case.type_kind == "appeal"
    fast = clock.profile_code == FAST_PROFILE
    # An appeal closed before its due time without an opinion (withdrawn) owes none.
    owes_opinion = opinion is not None or closed is None or closed.created_at > due
    if appeal and not fast and owes_opinion:
        _set(fact, "k17", day, int(opinion is not None and opinion.created_at <= due))


def _ratings(ctx: _Ctx, fact: CaseFact, rechecks: list[datetime]) -> None:
    """K-6 participation and K-7 satisfaction: the latest rated round of the handling unit."""
    ratings = ctx.data.ratings
    latest = ratings[-1] if ratings else None
    window = ctx.clocks_of(ClockKind.RATING_WINDOW)
    running = window[-1] if window and window[-1].stopped_at is None else None
    if latest is None or (running is not None and running.started_at > latest.rated_at):
        # Nothing rated for the current reply yet: expired once its window ran out.
        if running is not None and running.due_at < ctx.now:
            fact.rating = RatingValue.EXPIRED
            _set(fact, "k6", local_day(running.due_at), 0)
        elif running is not None:
            rechecks.append(running.due_at)
        if latest is None or running is not None:
            return
    assert latest is not None  # noqa: S101 — returned above otherwise
    fact.rating, fact.rated_at = latest.value, latest.rated_at
    day = local_day(latest.rated_at)
    if latest.value == RatingValue.EXPIRED:
        _set(fact, "k6", day, 0)
        return
    _set(fact, "k6", day, 1)
    _set(fact, "k7s", day, int(latest.value == RatingValue.SATISFIED))
    _set(fact, "k7b", day, int(latest.value == RatingValue.BASIC))


def _revisits(ctx: _Ctx, fact: CaseFact) -> None:
    """K-5 revisit rate over the revisits the policy opened; K-8 resolution among answered."""
    tasks = ctx.data.revisits
    if not tasks or ctx.case.is_anonymous:
        return
    task = tasks[-1]
    _set(fact, "k5", local_day(task.created_at), int(not task.is_open))
    if task.is_open or task.done_at is None:
        return
    fact.revisited_at, fact.revisit_outcome = task.done_at, task.outcome
    if task.outcome != RevisitOutcome.UNREACHABLE:
        # Only "keep the rating and note it" leaves nothing more to do: the matter is settled;
        # re-handling and supervision mean the petitioner's problem is still open.
        _set(fact, "k8", local_day(task.done_at), int(task.outcome == RevisitOutcome.ANNOTATE))


def _flags(ctx: _Ctx, fact: CaseFact) -> None:
    """K-9 repeats, K-12b supervision orders, K-13 direct answers."""
    case = ctx.case
    triage_repeat = any(
        e.kind == EventKind.TRIAGE
        and any(r.get("same_matter") for r in e.payload.get("repeats", []))
        for e in ctx.events
    )
    fact.is_repeat = case.repeat_of_id is not None or triage_repeat
    _set(fact, "k9", local_day(case.received_at), int(fact.is_repeat))
    orders = ctx.data.supervisions
    fact.supervision_count = len(orders)
    if orders:
        _set(fact, "k12b", local_day(orders[0]), len(orders))
    if case.registered_at is not None:
        direct = any(
            e.kind == EventKind.STATUS and e.to_status == S.CLOSED and e.from_status == S.REGISTERED
            and e.payload.get("close_reason") == CloseReason.ADVICE_REPLIED
            for e in ctx.events
        )  # fmt: skip
        fact.direct_answer = direct
        _set(fact, "k13", local_day(case.registered_at), int(direct))


def _notice(ctx: _Ctx, fact: CaseFact, rechecks: list[datetime]) -> None:
    """K-16: a written notice to the petitioner within 15 days of receipt (Art. 23)."""
    told = [
        e.created_at for e in ctx.events
        if e.kind == EventKind.DOCUMENT and e.payload.get("kind") in NOTICE_KINDS
    ]  # fmt: skip
    fact.notice_at = told[0] if told else None
    if ctx.case.is_anonymous:
        return
    routes = ctx.clocks_of(ClockKind.ROUTE)
    if not routes:
        return
    due = kpi_due(routes[0])
    closed = ctx.first_status(S.CLOSED)
    if fact.notice_at is None:
        if closed is not None and closed.created_at <= due:
            return  # withdrawn, merged or transferred before any notice was owed
        if due >= ctx.now:
            rechecks.append(due)
            return
    _set(
        fact,
        "k16",
        local_day(ctx.case.received_at),
        int(fact.notice_at is not None and fact.notice_at <= due),
    )


def _review(ctx: _Ctx, fact: CaseFact) -> None:
    """K-18: 复查/复核 requests (set with the opinion) and decisions that changed the opinion."""
    requested = ctx.status_events(S.REEXAM_REQUESTED, S.REVIEW_REQUESTED)
    fact.review_requested = bool(requested)
    decisions = ctx.status_events(S.REEXAM_DECIDED, S.REVIEW_DECIDED)
    if decisions:
        changed = any(e.payload.get("outcome") in CHANGED for e in decisions)
        fact.review_changed = changed
        _set(fact, "k18b", local_day(decisions[0].created_at), int(changed))


def _exclude(fact: CaseFact, exclusions: Sequence[Exclusion]) -> None:
    parts: set[str] = set()
    for ex in exclusions:
        if ex.kpi == "*":
            parts |= set(PARTS) - {"vol", "dsp"}
        else:
            parts |= set(EXCLUSION_PARTS.get(ex.kpi, ()))
    fact.excluded = sorted(parts)
    for part in parts:
        _set(fact, part, None, 0)
