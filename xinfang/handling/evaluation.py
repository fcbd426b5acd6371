"""The petitioner's rating of a reply and the revisit that follows dissatisfaction (issue 3 §6).

Ratings are kept for ever; a revisit can reopen the case (重办), open supervision, or annotate
the rating, but never change or delete it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from xinfang.cases.clocks import ClockStop, clocks_apply
from xinfang.cases.models import Case, ClockKind, EventKind
from xinfang.cases.services import InvalidTransition, case_event_append
from xinfang.cases.workflow import OPEN_STATES, CaseStatus
from xinfang.core.errors import FieldErrors, Msg
from xinfang.handling.models import (
    Rating,
    RatingParty,
    RatingValue,
    RevisitOutcome,
    RevisitTask,
    SupervisionLevel,
)
from xinfang.orgs.models import Org, OrgKind, User
from xinfang.orgs.selectors import bureau_for_region

RATABLE = frozenset(
    {CaseStatus.OPINION_ISSUED, CaseStatus.REPORT_SUBMITTED, CaseStatus.COMPLETION_CONFIRMED}
)
PETITIONER_VALUES = (RatingValue.SATISFIED, RatingValue.BASIC, RatingValue.DISSATISFIED)


def supervising_bureau(*, case: Case) -> Org:
    """The petition bureau that follows the case: the registering organ when it is a bureau,
    else the bureau for the case's region."""
    if case.register_org.kind == OrgKind.PETITION_BUREAU:
        return case.register_org
    return bureau_for_region(region=case.region) or case.register_org


def rating_round(*, case: Case) -> int:
    """Each re-handled reply is rated afresh: the round is the number of opinions issued."""
    return max(
        1, case.events.filter(kind=EventKind.STATUS, to_status=CaseStatus.OPINION_ISSUED).count()
    )


@transaction.atomic
def case_rate(
    *, case: Case, values: Mapping[RatingParty, str], reason: str = "", source: str = "online"
) -> list[Rating]:
    """The petitioner rates the bureau and the handling unit (满意/基本满意/不满意 + reason)
    within the rating window. Every 不满意 (at the configured sample rate) opens a revisit."""
    clock = case.clocks.filter(kind=ClockKind.RATING_WINDOW, stopped_at__isnull=True).first()
    if case.status not in RATABLE or clock is None or clock.due_at < timezone.now():
        raise InvalidTransition(Msg("当前不在评价期内。", "Rating is not open for this case."))
    errors: dict[str, list[Msg]] = {
        str(party): [Msg("请选择评价。", "Choose a rating.")]
        for party in RatingParty
        if values.get(party) not in PETITIONER_VALUES
    }
    dissatisfied = RatingValue.DISSATISFIED in values.values()
    if dissatisfied and not reason.strip():
        errors["reason"] = [Msg("不满意时请说明理由。", "Please say why you are dissatisfied.")]
    if errors:
        raise FieldErrors(errors)
    ratings = _store(case, values, reason, source)
    clocks_apply(
        case=case, changes=[ClockStop(frozenset({ClockKind.RATING_WINDOW}))], now=timezone.now()
    )
    case_event_append(
        case=case,
        kind=EventKind.RATING,
        public=True,
        payload={str(p): v for p, v in values.items()},
        reason=reason,
    )
    for rating in ratings:
        if rating.value == RatingValue.DISSATISFIED and _sampled():
            _revisit_open(case, rating)
    return ratings


def _store(case: Case, values: Mapping[RatingParty, str], reason: str, source: str) -> list[Rating]:
    now = timezone.now()
    rnd = rating_round(case=case)
    orgs = {
        RatingParty.BUREAU: supervising_bureau(case=case),
        RatingParty.UNIT: case.lead_org or case.register_org,
    }
    try:
        with transaction.atomic():
            return [
                Rating.objects.create(
                    case=case,
                    round=rnd,
                    party=party,
                    org=orgs[party],
                    value=values[party],
                    # The reason explains a 不满意; a 满意 given alongside it does not carry it.
                    reason=reason if values[party] == RatingValue.DISSATISFIED else "",
                    source=source,
                    rated_at=now,
                )
                for party in RatingParty
            ]
    except IntegrityError:
        raise InvalidTransition(Msg("您已评价过。", "You have already rated this reply.")) from None


def _sampled() -> bool:
    rate = int(settings.XINFANG_REVISIT_SAMPLE_PERCENT)
    return rate >= 100 or random.randrange(100) < rate  # noqa: S311 — sampling, not security


def _revisit_open(case: Case, rating: Rating) -> RevisitTask:
    # One revisit per reply, however many parties were rated 不满意.
    existing = RevisitTask.objects.filter(case=case, rating__round=rating.round).first()
    if existing is not None:
        return existing
    task = RevisitTask.objects.create(
        case=case, rating=rating, org=supervising_bureau(case=case), created_at=timezone.now()
    )
    case_event_append(case=case, kind=EventKind.REVISIT, payload={"task": task.pk, "opened": True})
    return task


def ratings_expire(*, case: Case) -> int:
    """The rating window ran out: both parties count as 超期未评价 (K-6)."""
    rnd = rating_round(case=case)
    created = 0
    for party, org in (
        (RatingParty.BUREAU, supervising_bureau(case=case)),
        (RatingParty.UNIT, case.lead_org or case.register_org),
    ):
        _, made = Rating.objects.get_or_create(
            case=case,
            round=rnd,
            party=party,
            defaults={
                "org": org,
                "value": RatingValue.EXPIRED,
                "source": "system",
                "rated_at": timezone.now(),
            },
        )
        created += int(made)
    return created


@transaction.atomic
def revisit_complete(
    *, task: RevisitTask, actor: User, outcome: RevisitOutcome, note: str
) -> RevisitTask:
    """Record the revisit and act on it: 重办, supervision, or a note on the rating."""
    from xinfang.handling.services import _rehandle
    from xinfang.handling.supervision import supervision_open

    if not note.strip():
        raise FieldErrors({"note": [Msg("请填写回访情况。", "Describe the revisit.")]})
    claimed = RevisitTask.objects.filter(pk=task.pk, is_open=True).update(
        is_open=False, outcome=outcome, note=note, done_by=actor, done_at=timezone.now()
    )
    if not claimed:
        raise InvalidTransition(Msg("该回访已完成。", "This revisit is already done."))
    task.refresh_from_db()
    case = Case.objects.select_related("petition_type", "region", "lead_org").get(pk=task.case_id)
    if outcome == RevisitOutcome.REHANDLE:
        _rehandle(case, actor, note)
    elif outcome == RevisitOutcome.SUPERVISE:
        target = case.lead_org or case.register_org
        supervision_open(
            case=case,
            actor=actor,
            level=SupervisionLevel.SUPERVISE,
            problem=note,
            target_org=target,
        )
    Rating.objects.filter(pk=task.rating_id).update(annotation=note)
    case_event_append(
        case=case,
        kind=EventKind.REVISIT,
        actor=actor,
        actor_org=task.org,
        reason=note,
        payload={"task": task.pk, "outcome": outcome},
    )
    return task


def petitioner_actions(*, case: Case) -> list[str]:
    """What the petitioner may do online now: rate the reply, ask for 复查 or 复核, withdraw."""
    now = timezone.now()
    running = {
        kind
        for kind, due in case.clocks.filter(stopped_at__isnull=True).values_list("kind", "due_at")
        if due >= now
    }
    actions = []
    if case.status in RATABLE and ClockKind.RATING_WINDOW in running:
        actions.append("rate")
    if ClockKind.REEXAM_WINDOW in running:
        actions.append("reexam")
    if ClockKind.REVIEW_WINDOW in running:
        actions.append("review")
    if case.status in OPEN_STATES and case.status != CaseStatus.REVIEW_DECIDED:
        actions.append("withdraw")
    return actions
