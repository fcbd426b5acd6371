"""Writes: proxy submissions, grid systems and their events, on-site verification tasks.

Every petition goes through xinfang.intake.services.petition_submit; the records kept here
(authorisation, grid event, worker) are written in the same transaction, so a petition
never exists without them.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from xinfang.audit.models import AuditAction
from xinfang.audit.services import credential_audit
from xinfang.cases.models import Attachment, Case, Channel, EventKind
from xinfang.cases.services import UploadedFileData, case_event_append, file_store
from xinfang.core import validators as v
from xinfang.core.credentials import NewCredential, credential_new
from xinfang.core.errors import ApplicationError, Conflict, FieldErrors, Msg
from xinfang.grid import messages as m
from xinfang.grid.models import (
    DOCUMENT_REQUIRED,
    GridEvent,
    GridSystem,
    GridWorker,
    ProxyAuthorisation,
    ProxyRelation,
    TaskStatus,
    VerificationPhoto,
    VerificationTask,
)
from xinfang.grid.selectors import proxy_agent_org, workers_for_case
from xinfang.intake import messages as intake_messages
from xinfang.intake.services import Receipt, petition_submit, request_digest
from xinfang.intake.text import delivery_key, title_derive
from xinfang.intake.validation import RawFile, check_file, check_files, validate_petition
from xinfang.notify.contacts import Contact, contact_phone
from xinfang.notify.models import ContactRole, Medium
from xinfang.orgs.models import Org, Region, User
from xinfang.orgs.selectors import region_get

Errors = dict[str, list[Msg]]


class NotProxyAgent(ApplicationError):
    code = "forbidden"
    http_status = 403


# ---------------------------------------------------------------- grid systems


@dataclass(frozen=True)
class IssuedCredentials:
    """Shown once when issued; only the token's hash is kept."""

    system: GridSystem
    token: str
    signing_secret: str = ""


def _new_token(raw: str = "") -> NewCredential:
    return credential_new(prefix="grid_", hint_length=12, raw=raw)


def _credential_audit(
    action: AuditAction, system: GridSystem, actor: User | None, **detail: Any
) -> None:
    credential_audit(
        action=action,
        actor=actor,
        object_type="grid.system",
        object_id=system.pk,
        name=system.code,
        hint=system.token_hint,
        **detail,
    )


@transaction.atomic
def grid_system_create(
    *,
    code: str,
    name: str,
    region: Region,
    signed: bool = False,
    actor: User | None = None,
    token: str = "",
) -> IssuedCredentials:
    """A connected grid system with a new token (or `token`, a value chosen elsewhere)."""
    new = _new_token(token)
    secret = secrets.token_urlsafe(32) if signed else ""
    system = GridSystem.objects.create(
        code=code,
        name=name,
        region=region,
        token_hash=new.digest,
        token_hint=new.hint,
        signing_secret=secret,
    )
    _credential_audit(AuditAction.CREDENTIAL_ISSUE, system, actor, signed=bool(secret))
    return IssuedCredentials(system, new.raw, secret)


@transaction.atomic
def grid_system_rotate(
    *, system: GridSystem, signed: bool | None = None, actor: User | None = None
) -> IssuedCredentials:
    """A new token (and secret, if signing); the old ones stop working at once."""
    new = _new_token()
    keep_signing = bool(system.signing_secret) if signed is None else signed
    secret = secrets.token_urlsafe(32) if keep_signing else ""
    system.token_hash, system.token_hint, system.signing_secret = new.digest, new.hint, secret
    system.save(update_fields=["token_hash", "token_hint", "signing_secret"])
    _credential_audit(
        AuditAction.CREDENTIAL_ISSUE, system, actor, signed=bool(secret), rotated=True
    )
    return IssuedCredentials(system, new.raw, secret)


@transaction.atomic
def grid_system_disable(*, system: GridSystem, actor: User | None = None) -> None:
    """The system's token stops working at once; its events, workers and tasks are kept."""
    GridSystem.objects.filter(pk=system.pk).update(is_active=False)
    system.is_active = False
    _credential_audit(AuditAction.CREDENTIAL_REVOKE, system, actor)


# ---------------------------------------------------------------- proxy submission


@dataclass(frozen=True)
class ProxyAuthority:
    """What the agent states about their authority, as entered on the proxy form."""

    relation: str
    petitioner_consent: bool
    document: RawFile | None = None
    no_document_reason: str = ""
    agent_phone: str = ""
    agent_email: str = ""


def _relation_errors(auth: ProxyAuthority) -> Errors:
    if auth.relation not in ProxyRelation.values:
        return {"relation": [m.RELATION_CHOOSE]}
    if auth.document is None and auth.relation in DOCUMENT_REQUIRED:
        return {"authorisation_document": [m.DOCUMENT_REQUIRED]}
    if auth.document is None and not auth.no_document_reason.strip():
        return {"no_document_reason": [m.NO_DOCUMENT_REASON]}
    return {}


def _agent_contacts(auth: ProxyAuthority) -> tuple[list[Contact], Errors]:
    phone, email = v.normalize_phone(auth.agent_phone), auth.agent_email.strip()
    errors: Errors = {}
    if phone and (msg := v.check_phone(phone)):
        errors["agent_phone"] = [msg]
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["agent_email"] = [m.AGENT_EMAIL_INVALID]
    if not phone and not email:
        errors["agent_phone"] = [m.AGENT_CONTACT_REQUIRED]
    role = ContactRole.PROXY
    contacts = [contact_phone(phone, role=role), Contact(Medium.EMAIL, email, role)]
    return contacts, errors


def _authority_check(
    auth: ProxyAuthority, data: Mapping[str, Any], raws: Sequence[RawFile]
) -> tuple[UploadedFileData | None, list[UploadedFileData], list[Contact]]:
    """The checked document, files and agent contacts; or FieldErrors with every problem,
    the petition's own included, so the agent fixes the form in one go."""
    errors = _relation_errors(auth)
    document = check_file(auth.document) if auth.document is not None else None
    if isinstance(document, Msg):
        errors["authorisation_document"] = [document]
        document = None
    if not auth.petitioner_consent:
        errors["petitioner_consent"] = [m.CONSENT_REQUIRED]
    if data.get("anonymous"):
        errors["_"] = [m.NO_ANONYMOUS]
    contacts, contact_errors = _agent_contacts(auth)
    errors.update(contact_errors)
    files: list[UploadedFileData] = []
    try:
        files = check_files(list(raws))
    except FieldErrors as exc:
        errors.update(exc.errors)
    if errors:
        try:
            validate_petition(data)
        except FieldErrors as exc:
            errors = {**exc.errors, **errors}
        raise FieldErrors(errors)
    return document, files, contacts


def _petitioner_phone(data: Mapping[str, Any]) -> str:
    person = data.get("petitioner")
    return str(person.get("phone", "")) if isinstance(person, Mapping) else ""


def proxy_submit(
    *,
    agent: User,
    data: Mapping[str, Any],
    authority: ProxyAuthority,
    files: Sequence[RawFile] = (),
    idempotency_key: str | None = None,
) -> Receipt:
    """Submit a petition for someone else, with the agent's authority recorded (channel proxy).

    The petitioner's phone gets notices (SMS); the agent's phone and e-mail are contact points
    with the proxy role, so they hear of progress too. The 授权委托书 becomes one of the
    case's attachments.
    """
    agent_org = proxy_agent_org(user=agent)
    if agent_org is None:
        raise NotProxyAgent(m.NOT_PROXY_AGENT)
    document, checked, contacts = _authority_check(authority, data, files)
    # Last, so that where the agent and the petitioner share a phone it counts as the
    # petitioner's (contacts_record keeps one row per address).
    contacts.append(contact_phone(_petitioner_phone(data), role=ContactRole.PETITIONER))
    with transaction.atomic():
        receipt = petition_submit(
            channel=Channel.PROXY,
            data=dict(data),
            idempotency_key=idempotency_key,
            files=[*([document] if document else []), *checked],
            contacts=contacts,
        )
        if receipt.created:
            _authorisation_record(receipt.case, agent, agent_org, authority, document)
    return receipt


def _authorisation_record(
    case: Case,
    agent: User,
    agent_org: Org,
    authority: ProxyAuthority,
    document: UploadedFileData | None,
) -> ProxyAuthorisation:
    stored: Attachment | None = None
    if document is not None:
        stored = case.attachments.filter(sha256=document.sha256).order_by("pk").first()
    record = ProxyAuthorisation.objects.create(
        case=case,
        agent=agent,
        agent_org=agent_org,
        relation=authority.relation,
        document=stored,
        no_document_reason="" if stored else authority.no_document_reason.strip(),
        petitioner_consent=authority.petitioner_consent,
    )
    relation = ProxyRelation(authority.relation)
    case_event_append(
        case=case,
        kind=EventKind.NOTE,
        payload={"proxy_authorisation": record.pk, "relation": relation.value},
        actor=agent,
        actor_org=agent_org,
        reason=m.PROXY_NOTE.format(relation=relation.label).zh,
    )
    return record


# ---------------------------------------------------------------- grid events


@dataclass(frozen=True)
class GridEventData:
    """A grid event after structural validation (xinfang.grid.api.GridEventInput)."""

    event_id: str
    grid_code: str
    reporter_name: str
    reporter_phone: str
    region_code: str
    category: str
    description: str
    occurred_at: datetime
    reporter_id: str = ""
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    title: str = ""
    petition_type: str = "appeal"
    category_code: str = ""
    petitioner_name: str = ""
    petitioner_phone: str = ""
    photo_urls: Sequence[str] = ()
    photos: Sequence[RawFile] = field(default_factory=list)


def _event_petition(event: GridEventData) -> dict[str, Any]:
    """The event in intake's shape. Without a resident named, the reporting grid worker
    stands as the petitioner: they raised the matter and can be reached about it."""
    local = timezone.localtime(event.occurred_at)
    facts = [f"网格：{event.grid_code}", f"发生时间：{local:%Y-%m-%d %H:%M}"]
    if event.address:
        facts.insert(1, f"地点：{event.address}")
    facts.append(f"上报网格员：{event.reporter_name}")
    person = {"name": event.reporter_name, "phone": event.reporter_phone}
    if event.petitioner_name or event.petitioner_phone:
        person = {"name": event.petitioner_name, "phone": event.petitioner_phone}
    return {
        "title": title_derive(
            subject=event.title, body=event.description, fallback=event.category or "网格事件"
        ),
        "content": f"{event.description}\n\n【网格事件】" + "；".join(facts),
        "petition_type": event.petition_type,
        "region_code": event.region_code,
        "category_code": event.category_code,
        "petitioner": person,
        "anonymous": False,
        "consent_publish": False,
    }


def _event_field(key: str, resident: bool) -> str:
    """Where intake's complaint about the mapped petition belongs in the event's terms."""
    person = "petitioner" if resident else "reporter"
    names = {
        "content": "description",
        "region_code": "place.region_code",
        "petitioner.name": f"{person}.name",
        "petitioner.phone": f"{person}.phone",
        "petitioner": person,
        "attachments": "photos",
    }
    return names.get(key, key)


def _checked_photos(raws: Sequence[RawFile]) -> list[UploadedFileData]:
    """Uploaded photos checked as intake checks attachments; problems reported as "photos",
    the grid API's name for them."""
    try:
        return check_files(list(raws))
    except FieldErrors as exc:
        raise FieldErrors({"photos": exc.errors["attachments"]}) from exc


def _check_place(system: GridSystem, region_code: str) -> Region:
    region = region_get(code=region_code)
    if region is None:
        raise FieldErrors({"place.region_code": [intake_messages.REGION_UNKNOWN]})
    if not region.code.startswith(system.region.prefix):
        raise FieldErrors({"place.region_code": [m.REGION_OUTSIDE_SYSTEM]})
    return region


def grid_event_submit(*, system: GridSystem, event: GridEventData) -> Receipt:
    """A grid event → a petition (channel grid), exactly once per system and event id: the
    same event posted again answers with the same petition."""
    region = _check_place(system, event.region_code)
    files = _checked_photos(event.photos)
    resident = bool(event.petitioner_name or event.petitioner_phone)
    contacts = [
        contact_phone(event.reporter_phone, role=ContactRole.PROXY),
        contact_phone(event.petitioner_phone, role=ContactRole.PETITIONER),
    ]
    with transaction.atomic():
        try:
            receipt = petition_submit(
                channel=Channel.GRID,
                data=_event_petition(event),
                idempotency_key=delivery_key("grid", system.code, event.event_id),
                files=files,
                contacts=contacts,
            )
        except FieldErrors as exc:
            raise FieldErrors(
                {_event_field(k, resident): msgs for k, msgs in exc.errors.items()}
            ) from exc
        worker = _worker_update(system, event, region)
        _event_record(system, event, receipt.case, worker)
    return receipt


def _worker_update(system: GridSystem, event: GridEventData, region: Region) -> GridWorker | None:
    """The reporter, as the grid system describes them now (name, phone and grid change)."""
    if not event.reporter_id:
        return None
    worker, _ = GridWorker.objects.update_or_create(
        system=system,
        external_id=event.reporter_id,
        defaults={
            "grid_code": event.grid_code,
            "name": event.reporter_name,
            "phone": v.normalize_phone(event.reporter_phone),
            "is_active": True,
        },
        create_defaults={
            "grid_code": event.grid_code,
            "name": event.reporter_name,
            "phone": v.normalize_phone(event.reporter_phone),
            "region": region,
        },
    )
    return worker


def _event_record(
    system: GridSystem, event: GridEventData, case: Case, worker: GridWorker | None
) -> GridEvent:
    record, _ = GridEvent.objects.get_or_create(
        system=system,
        event_id=event.event_id,
        defaults={
            "case": case,
            "grid_code": event.grid_code,
            "worker": worker,
            "category_text": event.category,
            "address": event.address,
            "latitude": event.latitude,
            "longitude": event.longitude,
            "occurred_at": event.occurred_at,
            "photo_urls": list(event.photo_urls),
        },
    )
    return record


@dataclass(frozen=True)
class WorkerData:
    external_id: str
    name: str
    grid_code: str
    region_code: str
    phone: str = ""
    is_active: bool = True


def _worker_regions(system: GridSystem, workers: Sequence[WorkerData]) -> dict[str, Region]:
    """Each worker's region, or FieldErrors naming the rows that are unknown or elsewhere."""
    regions: dict[str, Region] = {}
    errors: Errors = {}
    for index, w in enumerate(workers):
        region = region_get(code=w.region_code)
        if region is None:
            errors[f"workers.{index}.region_code"] = [intake_messages.REGION_UNKNOWN]
        elif not region.code.startswith(system.region.prefix):
            errors[f"workers.{index}.region_code"] = [m.REGION_OUTSIDE_SYSTEM]
        else:
            regions[w.region_code] = region
    if errors:
        raise FieldErrors(errors)
    return regions


@transaction.atomic
def grid_workers_sync(*, system: GridSystem, workers: Sequence[WorkerData]) -> tuple[int, int]:
    """Create or update a system's workers (its roster), all or none. Returns (created,
    updated); a worker who left is sent with is_active false, never deleted (tasks keep them)."""
    regions = _worker_regions(system, workers)
    wanted = {w.external_id: w for w in workers}  # a worker sent twice: the last one counts
    known = {
        g.external_id: g
        for g in GridWorker.objects.filter(system=system, external_id__in=list(wanted))
    }
    fields = ("name", "grid_code", "region", "phone", "is_active", "updated_at")
    now = timezone.now()  # bulk_update skips auto_now
    rows: dict[str, GridWorker] = {}
    for external_id, w in wanted.items():
        row = known.get(external_id) or GridWorker(system=system, external_id=external_id)
        row.name, row.grid_code, row.region = w.name, w.grid_code, regions[w.region_code]
        row.phone, row.is_active = v.normalize_phone(w.phone), w.is_active
        row.updated_at = now
        rows[external_id] = row
    # Two statements for the roster however long it is (up to a thousand workers a call).
    GridWorker.objects.bulk_update([rows[k] for k in known], fields)
    new = [row for k, row in rows.items() if k not in known]
    GridWorker.objects.bulk_create(new)
    return len(new), len(workers) - len(new)


# ---------------------------------------------------------------- verification tasks


@transaction.atomic
def verification_task_create(
    *,
    case: Case,
    actor: User,
    worker: GridWorker,
    question: str,
    due_at: datetime,
    actor_org: Org | None = None,
) -> VerificationTask:
    """Ask the grid worker of the place to check something on site; logged on the case.

    Never for a confidential accusation: the grid system is outside the petition system and
    often run by the township that may be the accused unit (DESIGN §3.5).
    """
    if case.is_confidential_accusation:
        raise ApplicationError(m.ACCUSATION_NO_GRID, code="accusation_confidential")
    if not workers_for_case(case=case).filter(pk=worker.pk).exists():
        raise FieldErrors({"worker": [m.WORKER_NOT_HERE]})
    if due_at < timezone.now():
        raise FieldErrors({"due": [m.DUE_PAST]})
    task = VerificationTask.objects.create(
        case=case,
        system_id=worker.system_id,
        worker=worker,
        question=question.strip(),
        due_at=due_at,
        created_by=actor,
        created_by_org=actor_org,
    )
    case_event_append(
        case=case,
        kind=EventKind.NOTE,
        payload={"grid_task": task.pk, "worker": worker.name, "grid_code": worker.grid_code},
        actor=actor,
        actor_org=actor_org,
        reason=m.TASK_CREATED.format(question=task.question).zh,
    )
    return task


@dataclass(frozen=True)
class TaskResultData:
    result: str
    verified_at: datetime | None = None  # None: when the result arrives
    photo_urls: Sequence[str] = ()
    photos: Sequence[RawFile] = ()


def _result_digest(data: TaskResultData, files: Sequence[UploadedFileData]) -> str:
    return request_digest(
        {
            "result": data.result,
            "verified_at": data.verified_at.isoformat() if data.verified_at else "",
            "photo_urls": list(data.photo_urls),
            "photos": [f.sha256 for f in files],
        }
    )


def _check_repeat(task: VerificationTask, digest: str) -> None:
    """A result for a closed task: the same result again is fine, anything else conflicts."""
    if task.status == TaskStatus.CANCELLED:
        raise Conflict(m.TASK_CANCELLED, code="task_cancelled")
    if task.result_digest != digest:
        raise Conflict(m.TASK_DONE, code="task_done")


def verification_task_result(
    *, task: VerificationTask, data: TaskResultData
) -> tuple[VerificationTask, bool]:
    """Record the worker's findings once: the task is done, the case gets an event.

    Returns (task, recorded); posting the same result again records nothing.
    """
    files = _checked_photos(data.photos)
    digest = _result_digest(data, files)
    if task.status != TaskStatus.OPEN:
        _check_repeat(task, digest)
        return task, False
    with transaction.atomic():
        # Compare-and-set: of two deliveries racing, one records the result.
        claimed = VerificationTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
            status=TaskStatus.DONE,
            result=data.result,
            result_digest=digest,
            photo_urls=list(data.photo_urls),
            verified_at=data.verified_at or timezone.now(),
            updated_at=timezone.now(),
        )
        task.refresh_from_db()
        if not claimed:
            _check_repeat(task, digest)
            return task, False
        _photos_store(task, files)
        _result_event(task, len(files) + len(data.photo_urls))
    return task, True


def _photos_store(task: VerificationTask, files: Sequence[UploadedFileData]) -> None:
    for f in files:
        photo = VerificationPhoto(
            task=task,
            original_name=f.name,
            content_type=f.content_type,
            size=len(f.content),
            sha256=f.sha256,
        )
        file_store(photo.file, f)
        photo.save()


def _result_event(task: VerificationTask, photo_count: int) -> None:
    case_event_append(
        case=task.case,
        kind=EventKind.NOTE,
        payload={
            "grid_task": task.pk,
            "grid_result": True,
            "worker": task.worker.name,
            "grid_code": task.worker.grid_code,
            "verified_at": task.verified_at.isoformat() if task.verified_at else None,
            "photos": photo_count,
        },
        reason=m.TASK_RESULT.format(result=task.result).zh,
    )


@transaction.atomic
def verification_task_cancel(*, task: VerificationTask, actor: User) -> VerificationTask:
    """Withdraw an open task (the grid system sees it as cancelled on its next pull)."""
    updated = VerificationTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
        status=TaskStatus.CANCELLED, updated_at=timezone.now()
    )
    task.refresh_from_db()
    if updated:
        case_event_append(
            case=task.case,
            kind=EventKind.NOTE,
            payload={"grid_task": task.pk, "cancelled": True},
            actor=actor,
            actor_org=task.created_by_org,
            reason=m.TASK_CANCEL.format(question=task.question).zh,
        )
    return task
