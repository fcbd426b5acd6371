"""Supervision (督办, Art. 40): numbered orders to a unit that must answer in writing by a
deadline; an unanswered order escalates 催办 → 督办 → 通报 (DOMAIN §6.3 W17)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xinfang.cases.models import Case, EventKind
from xinfang.cases.selectors import case_relations
from xinfang.cases.services import InvalidTransition, case_event_append, case_flags_set
from xinfang.core.errors import FieldErrors, Msg
from xinfang.documents.choices import DocumentKind
from xinfang.documents.choices import SupervisionLevel as DocLevel
from xinfang.documents.services import document_issue
from xinfang.handling.guards import routing_guard
from xinfang.handling.models import (
    AlertKind,
    StaffAlert,
    SupervisionLevel,
    SupervisionOrder,
    SupervisionStatus,
)
from xinfang.orgs.models import Org, User
from xinfang.orgs.selectors import bureau_for_region

DOC_LEVEL = {
    SupervisionLevel.REMIND: DocLevel.URGE,
    SupervisionLevel.SUPERVISE: DocLevel.SUPERVISE,
    SupervisionLevel.CIRCULATE: DocLevel.CIRCULATE,
}


def alert(*, org: Org, case: Case, kind: AlertKind, text: str) -> StaffAlert:
    return StaffAlert.objects.create(
        org=org, case=case, kind=kind, text=text[:200], created_at=timezone.now()
    )


def _issuer(case: Case, target: Org) -> Org:
    """The supervising bureau; for the bureau's own duties, the bureau one level up."""
    from xinfang.handling.evaluation import supervising_bureau

    bureau = supervising_bureau(case=case)
    if bureau.pk != target.pk:
        return bureau
    above = target.region.parent
    upper = bureau_for_region(region=above) if above is not None else None
    return upper or bureau


def alerts_mark_read(*, org_ids: Iterable[int], case: Case) -> int:
    """A unit's alerts about a case count as read once one of its staff opened the case."""
    return StaffAlert.objects.filter(org__in=list(org_ids), case=case, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def supervision_open(
    *,
    case: Case,
    actor: User | None,
    level: SupervisionLevel,
    problem: str,
    target_org: Org,
    issuer_org: Org | None = None,
    previous: SupervisionOrder | None = None,
    now: datetime | None = None,
) -> SupervisionOrder:
    """Issue a supervision order (the numbered document is its 督办单) to a unit that works on
    the case; the bureau that supervises it issues it."""
    if not problem.strip():
        raise FieldErrors({"problem": [Msg("请填写督办事由。", "State the problem.")]})
    if target_org.pk not in case_relations(case=case):
        raise FieldErrors(
            {
                "target_org": [
                    Msg("只能督办承办、协办或登记该件的单位。", "Only a unit working on this case.")
                ]
            }
        )
    routing_guard(
        case=case, target=target_org, actor_org=None, override_reason="", require_known=False
    )
    now = now or timezone.now()
    issuer = issuer_org or _issuer(case, target_org)
    due = now + timedelta(days=settings.XINFANG_SUPERVISION_FEEDBACK_DAYS)
    order = SupervisionOrder.objects.create(
        case=case,
        level=level,
        issuer_org=issuer,
        target_org=target_org,
        problem=problem,
        feedback_due=due,
        previous=previous,
        created_by=actor,
        created_at=now,
    )
    doc = document_issue(
        case=case,
        kind=DocumentKind.SUPERVISION_ORDER,
        org=issuer,
        actor=actor,
        fields={
            "level": DOC_LEVEL[SupervisionLevel(level)],
            "problem": problem,
            "feedback_due": due,
            "target_org_name": target_org.name,
        },
    )
    SupervisionOrder.objects.filter(pk=order.pk).update(number=doc.number)
    order.number = doc.number
    case_flags_set(case=case, is_supervised=True)
    case_event_append(
        case=case,
        kind=EventKind.SUPERVISION,
        actor=actor,
        actor_org=issuer,
        reason=problem,
        payload={
            "order": order.pk,
            "level": int(level),
            "number": doc.number,
            "target_org": target_org.pk,
            "feedback_due": due.isoformat(),
        },
    )
    alert(
        org=target_org,
        case=case,
        kind=AlertKind.SUPERVISION,
        text=f"{SupervisionLevel(level).label}：{case.item_number} {problem}",
    )
    return order


@transaction.atomic
def supervision_feedback(*, order: SupervisionOrder, actor: User, text: str) -> SupervisionOrder:
    """The unit's required written feedback on an order."""
    if not text.strip():
        raise FieldErrors({"feedback": [Msg("请填写书面反馈。", "Write the feedback.")]})
    claimed = SupervisionOrder.objects.filter(pk=order.pk, status=SupervisionStatus.OPEN).update(
        status=SupervisionStatus.ANSWERED,
        feedback=text,
        feedback_by=actor,
        feedback_at=timezone.now(),
    )
    if not claimed:
        raise InvalidTransition(Msg("该督办单已反馈或已升级。", "This order is no longer open."))
    order.refresh_from_db()
    case = order.case
    if not case.supervisions.filter(status=SupervisionStatus.OPEN).exists():
        case_flags_set(case=case, is_supervised=False)
    case_event_append(
        case=case,
        kind=EventKind.FEEDBACK,
        actor=actor,
        actor_org=order.target_org,
        reason=text,
        payload={"order": order.pk},
    )
    return order


def supervision_escalate(*, order: SupervisionOrder, now: datetime) -> SupervisionOrder | None:
    """An order past its feedback deadline goes one level up (通报 is the last level)."""
    with transaction.atomic():
        claimed = SupervisionOrder.objects.filter(
            pk=order.pk,
            status=SupervisionStatus.OPEN,
            feedback_due__lte=now,
            level__lt=SupervisionLevel.CIRCULATE,
        ).update(status=SupervisionStatus.ESCALATED)
        if not claimed:
            return None
        return supervision_open(
            case=order.case,
            actor=None,
            level=SupervisionLevel(order.level + 1),
            problem=order.problem,
            target_org=order.target_org,
            issuer_org=order.issuer_org,
            previous=order,
            now=now,
        )
