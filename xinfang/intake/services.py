"""The one intake service every channel calls (DESIGN §5): validate, store, enqueue follow-up."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from xinfang.cases.models import Case
from xinfang.cases.services import NewCase, UploadedFileData, case_create
from xinfang.core.errors import ApplicationError, Conflict, FieldErrors
from xinfang.intake import messages as m
from xinfang.intake.validation import ValidPetition, validate_petition
from xinfang.notify.contacts import Contact, contacts_record
from xinfang.notify.services import outbox_record_receipt
from xinfang.orgs.models import Org
from xinfang.orgs.selectors import bureau_for_region
from xinfang.triage.tasks import case_triage_task

_KEY_RE = re.compile(r"^[\x21-\x7e]{1,128}$")


@dataclass(frozen=True)
class Receipt:
    case: Case
    created: bool
    secret: str = ""  # only on first creation of an anonymous petition


def request_digest(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_key(key: str | None) -> None:
    if key is not None and not _KEY_RE.match(key):
        raise FieldErrors({"Idempotency-Key": [m.IDEMPOTENCY_KEY]})


def _replay(channel: str, key: str, digest: str) -> Receipt | None:
    existing = Case.objects.filter(channel=channel, idempotency_key=key).first()
    if existing is None:
        return None
    if existing.request_digest and existing.request_digest != digest:
        raise Conflict(m.IDEMPOTENCY_REUSED, code="idempotency_conflict")
    return Receipt(case=existing, created=False)


def petition_build(
    valid: ValidPetition,
    *,
    channel: str,
    key: str | None = None,
    digest: str = "",
    extra_files: Sequence[UploadedFileData] = (),
    received_at: datetime | None = None,
    extra: dict[str, Any] | None = None,
    register_org: Org | None = None,
) -> NewCase:
    """A validated petition, addressed to `register_org` or else the petition bureau of its
    region, ready to store."""
    register_org = register_org or bureau_for_region(region=valid.region)
    if register_org is None:
        raise ApplicationError(m.NO_RECEIVER, code="no_receiver")
    return NewCase(
        channel=channel,
        petition_type=valid.petition_type,
        region=valid.region,
        register_org=register_org,
        title=valid.title,
        content=valid.content,
        category=valid.category,
        is_anonymous=valid.anonymous,
        is_collective=len(valid.petitioners) > 1,
        involved_count=valid.involved_count,
        consent_publish=valid.consent_publish,
        accused_person=valid.accused_person,
        accused_unit=valid.accused_unit,
        petitioners=valid.petitioners,
        attachments=[*valid.files, *extra_files],
        idempotency_key=key,
        request_digest=digest,
        received_at=received_at,
        extra=extra or {},
    )


def petition_submit(
    *,
    channel: str,
    data: Any,
    idempotency_key: str | None = None,
    files: list[UploadedFileData] | None = None,
    contacts: Sequence[Contact] = (),
    received_at: datetime | None = None,
    register_org: Org | None = None,
) -> Receipt:
    """Accept a petition from any channel, exactly once per idempotency key.

    Returns only after the row is committed (DESIGN invariant 1). A key seen before returns
    the stored petition (created=False); the same key with a different body is a conflict.
    `contacts` are the addresses the channel answers on (mail sender, WeChat openid), stored
    in the same transaction. `received_at` is when another system received it (a 12345 call
    imported later): its clocks run from then, not from the import. `register_org` is the
    bureau a channel belongs to (a leader mailbox's owner), instead of the region's bureau.
    Repeats are found by the unique constraint on insert rather than by a look-up first:
    they are rare, and the look-up would cost every petition a round trip.
    """
    _check_key(idempotency_key)
    digest = request_digest(data)
    valid = validate_petition(data)
    new = petition_build(
        valid,
        channel=channel,
        key=idempotency_key,
        digest=digest,
        extra_files=files or [],
        received_at=received_at,
        register_org=register_org,
    )
    try:
        with transaction.atomic():
            case, secret = case_create(data=new)
            if contacts:
                contacts_record(case=case, contacts=contacts)
            outbox_record_receipt(case=case)
            # Enqueued inside the transaction: the job exists if and only if the case does.
            case_triage_task.enqueue(case_id=case.pk)
    except IntegrityError:
        # The key was used before (or by a concurrent request): answer with that petition.
        if idempotency_key and (replay := _replay(channel, idempotency_key, digest)):
            return replay
        raise
    return Receipt(case=case, created=True, secret=secret)
