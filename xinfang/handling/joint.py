"""联名/群体 and 并单: near-identical petitions of different people about one matter.

Triage proposes them (`similar` in the TRIAGE event: MinHash estimate ≥ 0.5 between texts of
different petitioners); the registrar decides. Two outcomes:

- *link* (群体件): the items stay separate — each petitioner keeps a procedure, documents and
  a rating of their own — but are marked collective and shown together, so one unit answers
  them consistently and leaders see the group's size;
- *merge* (并单): the later item joins the group and closes with CloseReason.MERGED; its
  petitioner follows the group's item on the tracking page. Only the item being merged must
  still be at registration (once a unit holds it, it has duties of its own); the item it joins
  may be anywhere in its procedure, which stays as it is.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from xinfang.cases.models import Case, EventKind
from xinfang.cases.services import InvalidTransition, case_event_append, case_transition
from xinfang.cases.workflow import TERMINAL_STATES, CaseStatus, CloseReason
from xinfang.core.errors import FieldErrors, Msg
from xinfang.orgs.models import Org, User

S = CaseStatus
MERGEABLE = frozenset({S.RECEIVED, S.REGISTERED})


def group_of(case: Case) -> list[Case]:
    """The items of the case's group, first item first (only the case when it has none)."""
    if case.group_root_id is None:
        return [case]
    return list(
        Case.objects.filter(group_root_id=case.group_root_id)
        .select_related("petition_type")
        .order_by("created_at", "pk")
    )


@transaction.atomic
def case_group_link(*, case: Case, actor: User, other: Case, actor_org: Org | None = None) -> Case:
    """Mark `case` and `other` as one collective matter (联名/群体): both join `other`'s group
    (or one started by `other`); a group `case` already led moves over with it."""
    _check_pair(case, other)
    locked = {c.pk: c for c in Case.objects.select_for_update().filter(pk__in=[case.pk, other.pk])}
    case, other = locked[case.pk], locked[other.pk]
    root_id = other.group_root_id or other.pk
    moved = Q(pk__in=[case.pk, other.pk])
    if case.group_root_id is not None:
        moved |= Q(group_root_id=case.group_root_id)
    Case.objects.filter(moved).update(group_root_id=root_id, is_collective=True)
    size = Case.objects.filter(group_root_id=root_id).count()
    root = Case.objects.only("pk", "item_number").get(pk=root_id)
    for item in (case, other):
        item.group_root_id, item.is_collective = root_id, True
        case_event_append(
            case=item,
            kind=EventKind.NOTE,
            actor=actor,
            actor_org=actor_org,
            payload={
                "group": root.item_number,
                "linked": (other if item is case else case).item_number,
                "size": size,
            },
        )
    return case


@transaction.atomic
def case_merge(
    *, case: Case, actor: User, into: Case, reason: str = "", actor_org: Org | None = None
) -> Case:
    """并单: fold `case` (at registration) into the group of the open item `into` and close it
    (CloseReason.MERGED)."""
    _check_pair(case, into)
    if into.status in TERMINAL_STATES:
        raise FieldErrors(
            {"into": [Msg("只能并入尚在办理中的信访件。", "Merge only into an open item.")]}
        )
    if case.status not in MERGEABLE:
        raise InvalidTransition(
            Msg("只能在登记阶段并单。", "Items are merged only while being registered.")
        )
    if Case.objects.filter(group_root_id=case.pk).exclude(pk=case.pk).exists():
        raise FieldErrors(
            {
                "into": [
                    Msg(
                        "本件是群体件的主件，请将其他件并入本件。",
                        "This item leads a group: merge the others into it.",
                    )
                ]
            }
        )
    case = case_group_link(case=case, actor=actor, other=into, actor_org=actor_org)
    root = Case.objects.only("item_number").get(group_members=case)
    note = reason.strip() or f"并入 {root.item_number} 办理"
    return case_transition(
        case=case,
        to=S.CLOSED,
        actor=actor,
        reason=note,
        close_reason=CloseReason.MERGED,
        actor_org=actor_org,
        updates={"holder_org": None},
        payload={"merged_into": root.item_number},
    )


def _check_pair(case: Case, other: Case) -> None:
    if other.pk == case.pk:
        raise FieldErrors({"into": [Msg("不能与自身关联。", "Not with the item itself.")]})
    if case.group_root_id is not None and case.group_root_id == other.group_root_id:
        raise FieldErrors({"into": [Msg("两件已在同一群体中。", "Already in one group.")]})
    accusation = {case.petition_type.kind, other.petition_type.kind} & {"accusation"}
    if accusation and case.petition_type.kind != other.petition_type.kind:
        # An accusation's handling is confidential and goes its own way (DOMAIN P-5).
        raise FieldErrors(
            {
                "into": [
                    Msg(
                        "检举控告件只能与检举控告件关联。",
                        "An accusation groups only with accusations.",
                    )
                ]
            }
        )
