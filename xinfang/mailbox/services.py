"""Mail → petition: the one ingestion path of the SMTP receiver and the IMAP poller.

A mail becomes `intake.services.petition_submit(channel="mailbox")` with an idempotency key
derived from the mailbox and the Message-ID, so a redelivered mail (a relay retrying after a
lost answer, an IMAP poll that died before flagging) returns the stored petition instead of a
second one. The mailbox's region and petition type fill what a mail cannot say.

Whether a delivery is the same mail is decided on the mail itself (a digest of its raw bytes,
kept on MailboxMessage), never on the petition built from it: that also depends on the
mailbox's settings, which may change between a lost answer and the relay's retry.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction

from xinfang.cases.models import Channel
from xinfang.cases.services import UploadedFileData
from xinfang.core import validators as v
from xinfang.core.errors import ApplicationError, Conflict, FieldErrors, Msg
from xinfang.intake import messages as intake_messages
from xinfang.intake.services import Receipt, petition_submit
from xinfang.intake.text import clip, delivery_key, title_derive
from xinfang.intake.validation import CONTENT_MAX, CONTENT_MIN, check_file
from xinfang.mailbox import messages as m
from xinfang.mailbox.models import Mailbox, MailboxMessage
from xinfang.mailbox.parsing import ParsedMail, RawFile, mail_parse
from xinfang.notify.contacts import Contact
from xinfang.notify.models import Medium
from xinfang.orgs.models import Org, OrgKind

logger = logging.getLogger(__name__)

TOO_LONG = "too_long"  # refusal code of a body over the limit (SMTP 552, not 550)
# Units that register what they receive (信访工作条例 Art. 2, 23: every organ the regulation
# covers registers items sent to it directly); a mailbox owned by one of them has its mail
# registered there. A village or community committee, or an "other" unit such as a leader's
# office entered on its own, is not such an organ: its mail goes to the region's bureau.
REGISTERING_KINDS = frozenset(OrgKind) - {OrgKind.COMMUNITY, OrgKind.OTHER}
# "姓名：张三" lines in the body: the only way a mail can make a petition named (实名).
_LABEL_LINE = re.compile(r"^(?P<label>[\u4e00-\u9fff]{2,5})\s*[:：]\s*(?P<value>\S.*)$")
_LABELS = {
    "姓名": "name",
    "联系人": "name",
    "电话": "phone",
    "手机": "phone",
    "手机号": "phone",
    "手机号码": "phone",
    "联系电话": "phone",
    "身份证": "id_number",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "地址": "address",
    "住址": "address",
    "联系地址": "address",
}
_PERSON_LIMITS = {"name": 64, "address": 200}


class MailRefused(ApplicationError):
    """The mail can never become a petition as sent: the sender has to change it."""

    code = "mail_refused"


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # a new petition, committed
    DUPLICATE = "duplicate"  # delivered before: the stored petition stands
    REFUSED = "refused"  # permanent: tell the sender (SMTP 5xx), or leave it for a human (IMAP)
    DEFERRED = "deferred"  # temporary (database, configuration): deliver again later


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    receipt: Receipt | None = None
    reason: Msg | None = None
    code: str = ""  # the refusal's error code ("too_long", "invalid" …)


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: Msg


@dataclass(frozen=True)
class MailPetition:
    """What petition_submit gets for one mail."""

    data: dict[str, Any]
    files: list[UploadedFileData]
    skipped: list[Skipped]
    contacts: list[Contact]


def _files(raws: Sequence[RawFile]) -> tuple[list[UploadedFileData], list[Skipped]]:
    """Files checked as the web form checks them; refused ones are skipped, not fatal, since
    the sender cannot correct a mail that is already sent."""
    limit = settings.XINFANG_ATTACHMENT_MAX_COUNT
    kept: list[UploadedFileData] = []
    skipped: list[Skipped] = []
    for raw in raws:
        result = check_file(raw)
        if isinstance(result, Msg):
            skipped.append(Skipped(raw.name, result))
        elif len(kept) >= limit:
            skipped.append(Skipped(raw.name, intake_messages.FILE_COUNT.format(n=limit)))
        else:
            kept.append(result)
    return kept, skipped


def _skipped_note(skipped: Sequence[Skipped]) -> str:
    if not skipped:
        return ""
    lines = [f"· {clip(s.name, 100)}：{s.reason.zh}" for s in skipped]
    return "\n\n" + m.SKIPPED_HEADING + "\n" + "\n".join(lines)


def mail_content(*, parsed: ParsedMail, has_files: bool, skipped: Sequence[Skipped]) -> str:
    """The body as the petition's text, with the skipped attachments noted for the handler.

    A short body borrows the subject (mails often say it all there: "如题"), or points to the
    attachments; a body over the limit is refused rather than cut, as the web form refuses it.
    """
    body = parsed.body
    if len(body) < CONTENT_MIN and parsed.subject:
        body = f"{parsed.subject}\n{body}".strip()
    if len(body) < CONTENT_MIN and has_files:
        body = f"{body}\n{m.SEE_ATTACHMENTS}".strip()
    if len(body) > CONTENT_MAX:
        raise MailRefused(m.TOO_LONG.format(n=CONTENT_MAX), code=TOO_LONG)
    note = _skipped_note(skipped)
    # The note must not push a valid body over the limit; it stays on the MailboxMessage then.
    return body + note if len(body) + len(note) <= CONTENT_MAX else body


def _labelled(body: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in body.split("\n"):
        match = _LABEL_LINE.match(line.strip())
        if match and (name := _LABELS.get(match["label"])) and name not in found:
            found[name] = match["value"].strip()
    return found


def mail_petitioner(*, parsed: ParsedMail) -> dict[str, str] | None:
    """A named petitioner when the mail gives a name and a valid phone, else None (anonymous).

    Intake requires a phone for a named petition; a mail has only an address, so the sender
    stays anonymous unless the letter carries "姓名：…" and "电话：…" lines. Invalid numbers
    are dropped rather than refusing the whole mail.
    """
    fields = _labelled(parsed.body)
    name = fields.get("name") or parsed.sender_name
    phone = v.normalize_phone(fields.get("phone", ""))
    if not name or not phone or v.check_phone(phone):
        return None
    person = {"name": name[: _PERSON_LIMITS["name"]], "phone": phone}
    id_number = v.normalize_id_number(fields.get("id_number", ""))
    if id_number and not v.check_id_number(id_number):
        person["id_number"] = id_number
    if address := fields.get("address", ""):
        person["address"] = address[: _PERSON_LIMITS["address"]]
    return person


def mail_petition(*, mailbox: Mailbox, parsed: ParsedMail) -> MailPetition:
    files, skipped = _files(parsed.files)
    person = mail_petitioner(parsed=parsed)
    data: dict[str, Any] = {
        "title": title_derive(
            subject=parsed.subject,
            body=parsed.body,
            fallback=m.TITLE_FALLBACK.format(mailbox=mailbox.name),
        ),
        "content": mail_content(parsed=parsed, has_files=bool(files), skipped=skipped),
        "petition_type": mailbox.petition_type.code,
        "region_code": mailbox.region.code,
        "anonymous": person is None,
    }
    if person is not None:
        data["petitioner"] = person
    contacts = [Contact(Medium.EMAIL, parsed.sender_address)] if parsed.sender_address else []
    return MailPetition(data=data, files=files, skipped=skipped, contacts=contacts)


def mail_digest(raw: bytes) -> str:
    """What identifies the mail itself: a relay's retry and an IMAP re-read carry the same
    bytes."""
    return hashlib.sha256(raw).hexdigest()


def mail_keys(*, mailbox: Mailbox, message_id: str, digest: str) -> Iterator[str]:
    """The idempotency keys a mail may take, in order: mailbox + Message-ID; then, for
    another mail under a reused Message-ID (a careless mailer, or a forged one), the same
    with the mail's digest. Without a Message-ID, the digest alone."""
    prefix = ("mail", str(mailbox.pk))
    mid = message_id.strip()
    if mid:
        yield delivery_key(*prefix, mid)
        yield delivery_key(*prefix, mid, digest)
    else:
        yield delivery_key(*prefix, f"sha256:{digest}")


def register_org(mailbox: Mailbox) -> Org | None:
    """Who registers the mailbox's petitions: its owner when that unit registers what it
    receives, else (None) the petition bureau of the mailbox's region."""
    owner = mailbox.owner_org
    return owner if owner.is_active and owner.kind in REGISTERING_KINDS else None


def _submit(
    *, mailbox: Mailbox, petition: MailPetition, key: str, digest: str, via: str
) -> Receipt:
    # One transaction around intake's: the MailboxMessage exists exactly when the case does.
    with transaction.atomic():
        receipt = petition_submit(
            channel=Channel.MAILBOX,
            data=petition.data,
            idempotency_key=key,
            files=petition.files,
            contacts=petition.contacts,
            register_org=register_org(mailbox),
        )
        if receipt.created:
            MailboxMessage.objects.create(
                mailbox=mailbox,
                case=receipt.case,
                owner_org=mailbox.owner_org,
                message_key=key,
                mail_digest=digest,
                via=via,
                skipped=[{"name": s.name, "reason": s.reason.as_dict()} for s in petition.skipped],
            )
    return receipt


def _stored(key: str, digest: str) -> Receipt | None:
    """The petition stored under `key` when it came from this very mail."""
    earlier = (
        MailboxMessage.objects.filter(
            case__channel=Channel.MAILBOX, case__idempotency_key=key, mail_digest=digest
        )
        .select_related("case")
        .first()
    )
    return Receipt(case=earlier.case, created=False) if earlier else None


def mailbox_message_ingest(
    *, mailbox: Mailbox, raw: bytes, via: str, envelope_sender: str = ""
) -> Receipt:
    """Turn one raw mail to `mailbox` into a petition, exactly once per mail.

    Returns after commit. Raises MailRefused or FieldErrors when the mail cannot become a
    petition; other ApplicationErrors and DatabaseError are temporary.
    """
    parsed = mail_parse(raw, envelope_sender=envelope_sender)
    petition = mail_petition(mailbox=mailbox, parsed=parsed)
    digest = mail_digest(raw)
    for key in mail_keys(mailbox=mailbox, message_id=parsed.message_id, digest=digest):
        try:
            return _submit(mailbox=mailbox, petition=petition, key=key, digest=digest, via=via)
        except Conflict:
            # A petition under this key with another body: the same mail read under changed
            # mailbox settings (it is that petition), or another mail (try the next key).
            if replay := _stored(key, digest):
                return replay
    raise Conflict(m.MESSAGE_ID_REUSED)  # only if SHA-256 collided


def mailbox_message_deliver(
    *, mailbox: Mailbox, raw: bytes, via: str, envelope_sender: str = ""
) -> Delivery:
    """Ingest and say what the transport should answer (SMTP code, IMAP flag)."""
    try:
        receipt = mailbox_message_ingest(
            mailbox=mailbox, raw=raw, via=via, envelope_sender=envelope_sender
        )
    except (MailRefused, FieldErrors) as exc:
        reason = _first_reason(exc)
        logger.info("mail to %s refused: %s", mailbox.address, reason.en)
        return Delivery(Outcome.REFUSED, reason=reason, code=exc.code)
    except (ApplicationError, DatabaseError) as exc:
        logger.exception("mail to %s deferred", mailbox.address)
        why = exc.message if isinstance(exc, ApplicationError) else None
        return Delivery(Outcome.DEFERRED, reason=why)
    outcome = Outcome.ACCEPTED if receipt.created else Outcome.DUPLICATE
    return Delivery(outcome, receipt=receipt)


def _first_reason(exc: ApplicationError) -> Msg:
    """The first field message (they already name their field), else the error's own."""
    if isinstance(exc, FieldErrors):
        return next((msgs[0] for msgs in exc.errors.values() if msgs), exc.message)
    return exc.message
