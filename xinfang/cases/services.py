"""Writes for petitions. `case_transition` is the only code that changes Case.status."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from xinfang.audit.models import AuditAction
from xinfang.audit.services import audit_record
from xinfang.cases.clocks import (
    ClockChange,
    ClockStart,
    ClockStop,
    clock_new,
    clock_recompute,
    clocks_apply,
    provisional_clocks,
)
from xinfang.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    ClockKind,
    EventKind,
    ItemCounter,
    Petitioner,
)
from xinfang.cases.selectors import case_acting_org, case_get_for_user
from xinfang.cases.workflow import (
    CLOSE_RULES,
    PETITIONER_MOVES,
    TERMINAL_STATES,
    Actor,
    CaseStatus,
    CloseReason,
    can_transition,
    close_allowed,
    perms_for,
    relations_for,
)
from xinfang.catalog.models import Category, PetitionType
from xinfang.core import crypto
from xinfang.core.counters import counter_next
from xinfang.core.errors import ApplicationError, Conflict, Msg
from xinfang.orgs.models import Org, Region, User
from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import staff_scope

# Crockford-style alphabet without 0/O, 1/I/L: query codes are read aloud and typed on phones.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
QUERY_CODE_LENGTH = 10
ROUTING_PROFILE = "route-15d"
SECRET_LENGTH = 8


class InvalidTransition(Conflict):
    code = "invalid_transition"


# Called with every new CaseEvent inside the transaction that wrote it, so what a listener
# writes (notify's outbox rows) commits or rolls back with the change. notify registers here
# from its AppConfig.ready; cases itself knows nothing of notifications.
EVENT_LISTENERS: list[Callable[[CaseEvent], None]] = []


def _event_created(event: CaseEvent) -> CaseEvent:
    for listener in EVENT_LISTENERS:
        listener(event)
    return event


@dataclass(frozen=True)
class PetitionerData:
    name: str = ""
    phone: str = ""
    id_number: str = ""
    address: str = ""
    is_main: bool = True


@dataclass(frozen=True)
class UploadedFileData:
    name: str
    content: bytes
    content_type: str
    sha256: str


@dataclass(frozen=True)
class NewCase:
    """Everything intake has validated, ready to be stored."""

    channel: str
    petition_type: PetitionType
    region: Region
    register_org: Org
    title: str
    content: str
    category: Category | None = None
    is_anonymous: bool = False
    is_collective: bool = False
    involved_count: int = 1
    consent_publish: bool = False
    accused_person: str = ""
    accused_unit: str = ""
    petitioners: Sequence[PetitionerData] = ()
    attachments: Sequence[UploadedFileData] = ()
    idempotency_key: str | None = None
    request_digest: str = ""
    received_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def random_code(length: int) -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))


def secret_digest(*, query_code: str, secret: str) -> str:
    return crypto.blind_index(f"{query_code}:{secret.upper()}", context="case.track_secret")


def item_number_allocate(*, org: Org, year: int) -> str:
    """Next item number for (organ, year), e.g. 430102-XFJ-2026-000042.

    One row per organ and year, incremented in the caller's transaction, so numbers are
    unique and dense; a rolled-back intake leaves no gap because its increment rolls back too.
    """
    seq = counter_next(model=ItemCounter, keys={"org_id": org.pk, "year": year})
    return f"{org.code}-{year}-{seq:06d}"


def _petitioner_rows(case: Case, people: Sequence[PetitionerData]) -> list[Petitioner]:
    rows = []
    for seq, p in enumerate(people, start=1):
        rows.append(
            Petitioner(
                case=case,
                seq=seq,
                is_main=p.is_main,
                name=p.name,
                phone=p.phone,
                address=p.address,
                id_number=p.id_number,
                phone_index=crypto.blind_index(p.phone, context="phone") if p.phone else "",
                id_index=crypto.blind_index(p.id_number, context="id") if p.id_number else "",
            )
        )
    return rows


def attachment_rows(case: Case, files: Sequence[UploadedFileData]) -> list[Attachment]:
    rows = []
    for f in files:
        att = Attachment(
            case=case,
            original_name=f.name[:200],
            content_type=f.content_type,
            size=len(f.content),
            sha256=f.sha256,
        )
        file_store(att.file, f)
        rows.append(att)
    return rows


def file_store(field: FieldFile, f: UploadedFileData) -> None:
    """Write an uploaded file to storage for a not yet saved row. Under a random name: the
    sender's file name may itself carry personal data (it is kept, encrypted or not, in the
    row's own column)."""
    field.save(secrets.token_hex(16), ContentFile(f.content), save=False)


# No savepoint of its own: callers (intake) already hold the transaction, and a savepoint is
# two more round trips on the hottest write path.
@transaction.atomic(savepoint=False)
def case_create(*, data: NewCase) -> tuple[Case, str]:
    """Store a new petition in status RECEIVED with its people, files, clock and first event.

    Returns the case and, for anonymous petitions, the plaintext tracking secret (shown once
    on the receipt; only its digest is stored).
    """
    now = data.received_at or timezone.now()
    year = timezone.localtime(now).year
    # A petition bureau has 15 days from receipt to register and route it (Art. 22).
    route = clock_new(
        ClockStart(ClockKind.ROUTE, profile=ROUTING_PROFILE, org=data.register_org), now
    )
    query_code = random_code(QUERY_CODE_LENGTH)
    secret = random_code(SECRET_LENGTH) if data.is_anonymous else ""
    case = Case.objects.create(
        item_number=item_number_allocate(org=data.register_org, year=year),
        query_code=query_code,
        track_secret_digest=secret_digest(query_code=query_code, secret=secret) if secret else "",
        channel=data.channel,
        petition_type=data.petition_type,
        category=data.category,
        region=data.region,
        register_org=data.register_org,
        title=data.title,
        content=data.content,
        status=CaseStatus.RECEIVED,
        status_changed_at=now,
        received_at=now,
        is_anonymous=data.is_anonymous,
        is_collective=data.is_collective,
        petitioner_count=max(1, len(data.petitioners)),
        involved_count=data.involved_count,
        is_confidential_accusation=data.petition_type.kind == "accusation",
        consent_publish=data.consent_publish and data.petition_type.kind != "accusation",
        accused_person=data.accused_person,
        accused_unit=data.accused_unit,
        idempotency_key=data.idempotency_key,
        request_digest=data.request_digest,
        holder_org=data.register_org,
        due_at=route.due_at,
        due_provisional=route.provisional,
    )
    route.case = case
    route.save(force_insert=True)
    Petitioner.objects.bulk_create(_petitioner_rows(case, data.petitioners))
    if data.attachments:
        Attachment.objects.bulk_create(attachment_rows(case, data.attachments))
    event = CaseEvent.objects.create(
        case=case,
        kind=EventKind.RECEIVED,
        to_status=CaseStatus.RECEIVED,
        is_public=True,
        actor_org=data.register_org,
        payload={"channel": data.channel, **data.extra},
        deadline_after=case.due_at,
        created_at=now,
    )
    _event_created(event)
    return case, secret


def _acting_org(
    case: Case, actor: User, perms: frozenset[Perm], only: frozenset[str] | None = None
) -> Org:
    """The unit through which `actor` makes the move, or the reason they may not."""
    scope = staff_scope(user=actor)
    if not perms & scope.perms:
        raise ApplicationError(
            Msg("您没有执行此操作的权限。", "You are not permitted to do this."),
            code="forbidden",
        )
    org = case_acting_org(case=case, scope=scope, perms=perms, only=only)
    if org is not None:
        return org
    if case_get_for_user(user=actor, case_id=case.pk) is None:
        raise ApplicationError(Msg("未找到该信访件。", "Case not found."), code="not_found")
    raise ApplicationError(
        Msg("本单位不是该信访件的当前办理单位。", "Your unit does not hold this case."),
        code="forbidden",
    )


def _check_move(
    case: Case, current: CaseStatus, to: CaseStatus, by: Actor, close_reason: CloseReason | None
) -> frozenset[Perm]:
    """The table's verdict on the move, and the perms a staff actor then needs."""
    if not can_transition(current, to):
        raise InvalidTransition(
            Msg("当前状态（{a}）不能变更为“{b}”。", "Cannot move from {a} to {b}.").format(
                a=current.label, b=to.label
            )
        )
    if to == CaseStatus.CLOSED:
        if close_reason is None or not close_allowed(current, close_reason, by):
            raise InvalidTransition(
                Msg("当前状态不能以此原因办结。", "The case cannot be closed for this reason now.")
            )
        return CLOSE_RULES[close_reason][1]
    if by == Actor.PETITIONER and to not in PETITIONER_MOVES:
        raise InvalidTransition(Msg("信访人不能执行此操作。", "Petitioners cannot do this."))
    if by == Actor.SYSTEM:
        return frozenset()
    return perms_for(current, to)


@transaction.atomic
def case_transition(
    *,
    case: Case,
    to: CaseStatus,
    actor: User | None,
    reason: str = "",
    by: Actor | None = None,
    close_reason: CloseReason | None = None,
    actor_org: Org | None = None,
    updates: Mapping[str, Any] | None = None,
    clocks: Sequence[ClockChange] = (),
    payload: dict[str, Any] | None = None,
    public: bool = True,
    at: datetime | None = None,
) -> Case:
    """Move `case` to `to`: the only writer of Case.status (DESIGN invariant 2).

    Checks the transition table and the actor, does a compare-and-set on the status, applies
    the move's other field `updates` and clock changes, and appends one event with the actor,
    their unit, the reason and the deadline before and after — all in one transaction.
    `by` defaults to STAFF when an actor is given, else SYSTEM (timers); petitioner moves pass
    `by=Actor.PETITIONER` after the caller verified them. `at` is only for historical imports.
    """
    by = by or (Actor.STAFF if actor is not None else Actor.SYSTEM)
    current = CaseStatus(case.status)
    perms = _check_move(case, current, to, by, close_reason)
    if by == Actor.STAFF:
        if actor is None or not perms:
            raise InvalidTransition(Msg("此操作不能由工作人员执行。", "Staff cannot do this."))
        actor_org = actor_org or _acting_org(case, actor, perms, relations_for(current, to))
    now = at or timezone.now()
    changes: dict[str, Any] = {"status": to, "status_changed_at": now, **(updates or {})}
    if to == CaseStatus.REGISTERED:
        changes["registered_at"] = now
    if close_reason is not None:
        changes["close_reason"] = close_reason
    updated = Case.objects.filter(pk=case.pk, status=current).update(**changes)
    if updated != 1:  # someone else moved it first; their event stands, ours is refused
        raise InvalidTransition(
            Msg("该信访件已被他人处理，请刷新后重试。", "The case changed meanwhile; reload.")
        )
    due_before = case.due_at
    for name, value in changes.items():
        setattr(case, name, value)
    if to in TERMINAL_STATES:
        clocks = [ClockStop(), *clocks]
    if clocks:
        clocks_apply(case=case, changes=clocks, now=now)
    event = CaseEvent.objects.create(
        case=case,
        kind=EventKind.STATUS,
        from_status=current,
        to_status=to,
        actor=actor,
        actor_org=actor_org,
        reason=reason,
        payload={
            "by": by.value,
            **({"close_reason": close_reason} if close_reason else {}),
            **(payload or {}),
        },
        is_public=public,
        deadline_before=due_before,
        deadline_after=case.due_at,
        created_at=now,
    )
    _event_created(event)
    if by == Actor.STAFF:
        # Last in the transaction: the audit chain's lock is held until commit (audit.services).
        audit_record(
            action=AuditAction.CASE_TRANSITION,
            actor=actor,
            actor_org=actor_org,
            object_type="case",
            object_id=case.pk,
            detail={"from": current.value, "to": to.value, "item_number": case.item_number},
        )
    return case


def case_register(*, case: Case, actor: User, reason: str = "") -> Case:
    """T2: a registrar registers a received petition in the system (信访工作条例 Art. 21–23)."""
    return case_transition(case=case, to=CaseStatus.REGISTERED, actor=actor, reason=reason)


FLAGS = frozenset({"is_supervised", "is_urgent", "is_fast_track"})


def case_flags_set(*, case: Case, **flags: bool) -> Case:
    """Set overlay flags (not states: DOMAIN §4.1) such as 督办 or 重大紧急."""
    unknown = set(flags) - FLAGS
    if unknown:
        raise ValueError(f"not a case flag: {sorted(unknown)}")
    Case.objects.filter(pk=case.pk).update(**flags)
    for name, value in flags.items():
        setattr(case, name, value)
    return case


def case_event_append(
    *,
    case: Case,
    kind: EventKind,
    payload: dict[str, Any],
    actor: User | None = None,
    actor_org: Org | None = None,
    reason: str = "",
    public: bool = False,
    deadline_before: datetime | None = None,
    deadline_after: datetime | None = None,
) -> CaseEvent:
    """Record a non-status event (a suggestion, a note, a moved deadline) on the case's log;
    a staff member's event is audited too (every staff action is, DESIGN invariant 7)."""
    event = CaseEvent.objects.create(
        case=case,
        kind=kind,
        payload=payload,
        actor=actor,
        actor_org=actor_org,
        reason=reason,
        is_public=public,
        deadline_before=deadline_before,
        deadline_after=deadline_after,
        created_at=timezone.now(),
    )
    _event_created(event)
    if actor is not None:
        audit_record(
            action=AuditAction.CASE_ACTION,
            actor=actor,
            actor_org=actor_org,
            object_type="case",
            object_id=case.pk,
            detail={"kind": str(kind), "event": event.pk, "item_number": case.item_number},
        )
    return event


def case_deadlines_recompute() -> int:
    """Recompute provisional clocks after the holiday table changed (e.g. a year's official
    schedule was loaded).

    Each moved deadline is recorded as a DEADLINE event (before/after) on its case, so the
    timeline shows why a due date moved. Returns how many clocks changed.
    """
    changed = 0
    for clock in provisional_clocks():
        with transaction.atomic():
            moved = clock_recompute(clock=clock, now=timezone.now())
            if moved is None:
                continue
            case_event_append(
                case=clock.case,
                kind=EventKind.DEADLINE,
                payload={"reason": "calendar_changed", "clock": clock.kind},
                deadline_before=moved[0],
                deadline_after=moved[1],
                public=True,
            )
            changed += 1
    return changed
