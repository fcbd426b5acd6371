"""Writes for the public board: propose a case's redacted text, and moderate it (DOMAIN R-HN-8,
P-4, P-6).

A case is proposed only with the petitioner's consent, never when it is an accusation or a
confidential item, and only once it has a written reply; the proposal is `redact`ed. Anonymous
petitions may be published like any other (P-7 allows them; the board shows no identity of
anyone). Nothing is public until a bureau supervisor of the case's region approves it; every
moderation step is a case event and an audit entry (through `case_event_append`), and every text
ever proposed or shown is kept as a PublicationVersion.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from xinfang.board.models import Publication, PublicationStatus, PublicationVersion
from xinfang.board.redaction import CLASSES, Redacted, redact
from xinfang.cases.models import Case, EventKind
from xinfang.cases.selectors import case_acting_org, case_get_for_user
from xinfang.cases.services import case_event_append
from xinfang.cases.workflow import CaseStatus, CloseReason
from xinfang.catalog.models import Category
from xinfang.core.errors import ApplicationError, Conflict, FieldErrors, Msg
from xinfang.core.trees import ancestors
from xinfang.documents.choices import DocumentKind
from xinfang.documents.selectors import document_list_for_case
from xinfang.orgs.models import Org, User
from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import staff_scope

S = CaseStatus
# A written answer is out in these states (T14 onwards) ...
REPLIED_STATES: frozenset[CaseStatus] = frozenset(
    {
        S.OPINION_ISSUED,
        S.REPORT_SUBMITTED,
        S.COMPLETION_CONFIRMED,
        S.REEXAM_REQUESTED,
        S.REEXAM_DECIDED,
        S.REVIEW_REQUESTED,
        S.REVIEW_DECIDED,
    }
)
# ... and in a closed case for these reasons (withdrawn, merged or transferred items have none).
REPLIED_CLOSE_REASONS: frozenset[CloseReason] = frozenset(
    {
        CloseReason.NO_REEXAM_IN_TIME,
        CloseReason.NO_REVIEW_IN_TIME,
        CloseReason.REVIEW_FINAL,
        CloseReason.ADVICE_REPLIED,
    }
)
# The opinions whose text answers the petition; the latest one is the final word.
OPINION_KINDS = (
    DocumentKind.REPLY_OPINION,
    DocumentKind.REEXAM_OPINION,
    DocumentKind.REVIEW_OPINION,
)
# The parts of an opinion the public reads: what was found, why, and what was decided. The
# request (it repeats the petition) and the remedy notice (addressed to the petitioner) stay out.
REPLY_FIELDS = ("facts", "reasons", "opinion")
SWEEP_BATCH = 500
MODERATE = frozenset({Perm.CASE_SUPERVISE})

NOT_PUBLISHABLE = Msg(
    "该信访件不能公开（未经信访人同意，或属检举控告、保密事项）。",
    "This case cannot be published (no consent, or an accusation or confidential item).",
)
CLASS_LABELS: dict[str, Msg] = {
    "phone": Msg("电话号码", "phone number"),
    "id_number": Msg("身份证号", "ID number"),
    "email": Msg("电子邮箱", "e-mail address"),
    "bank_card": Msg("银行卡号", "bank card number"),
    "plate": Msg("车牌号", "plate number"),
    "name": Msg("姓名", "personal name"),
}


@dataclass(frozen=True)
class Reply:
    text: str
    at: datetime


def publication_case_publishable(*, case: Case) -> bool:
    """Consent given, and neither an accusation nor a confidential item (P-1, P-4, P-6)."""
    return (
        case.consent_publish
        and not case.is_confidential_accusation
        and case.petition_type.kind != "accusation"
    )


def _is_replied(case: Case) -> bool:
    if case.status == S.CLOSED:
        return case.close_reason in REPLIED_CLOSE_REASONS
    return case.status in REPLIED_STATES


def publication_reply_text(*, case: Case) -> Reply | None:
    """The case's written answer in plain text: the latest opinion's findings, reasons and
    decision, or the answer an advice item was closed with; None before there is one."""
    if not _is_replied(case):
        return None
    if case.close_reason == CloseReason.ADVICE_REPLIED:
        event = case.events.filter(to_status=S.CLOSED).order_by("-id").first()
        return Reply(event.reason, event.created_at) if event and event.reason else None
    doc = document_list_for_case(case=case, public_only=True).filter(kind__in=OPINION_KINDS).last()
    if doc is None:
        return None
    parts = [str(doc.fields.get(name, "")).strip() for name in REPLY_FIELDS]
    return Reply("\n\n".join(p for p in parts if p), doc.created_at)


def _known_names(case: Case) -> list[str]:
    # Decrypted here only to be found and masked; never returned, stored or logged.
    names = [p.name for p in case.petitioners.all()]
    return [n for n in [*names, case.accused_person] if n]


def _plain(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def _top_category(category: Category | None) -> Category | None:
    return ancestors(category)[-1] if category is not None else None


def _merge(*parts: Redacted) -> dict[str, int]:
    counts: dict[str, int] = {}
    for part in parts:
        for cls, n in part.counts.items():
            counts[cls] = counts.get(cls, 0) + n
    return counts


def _next_number(publication: Publication) -> int:
    top = publication.versions.aggregate(n=Max("number"))["n"]
    return (top or 0) + 1


def _latest(publication: Publication) -> PublicationVersion | None:
    return publication.versions.order_by("-number").first()


@transaction.atomic
def publication_propose(*, case: Case, now: datetime | None = None) -> Publication | None:
    """Create or refresh the case's pending proposal: redacted title, petition and reply as a
    new version, with the board's filter facts. None when the case may not (yet) be published.

    Idempotent: run twice on the same case and reply, it adds no second version. A case already
    published, rejected or withdrawn is left to the moderators.
    """
    now = now or timezone.now()
    if not publication_case_publishable(case=case):
        return None
    reply = publication_reply_text(case=case)
    if reply is None:
        return None
    names = _known_names(case)
    title, content, answer = (
        redact(_plain(t), known_names=names) for t in (case.title, case.content, reply.text)
    )
    publication, created = Publication.objects.select_for_update().get_or_create(
        case=case,
        defaults={"region_code": case.region.code, "received_at": case.received_at},
    )
    if not created and publication.status != PublicationStatus.PENDING:
        return publication
    Publication.objects.filter(pk=publication.pk).update(**_facts(case, reply))
    publication.refresh_from_db()
    texts = (title.text[:200], content.text, answer.text)
    latest = _latest(publication)
    if latest is not None and (latest.title, latest.content, latest.reply) == texts:
        return publication
    version = PublicationVersion.objects.create(
        publication=publication,
        number=_next_number(publication),
        title=texts[0],
        content=texts[1],
        reply=texts[2],
        redactions=_merge(title, content, answer),
        created_at=now,
    )
    case_event_append(
        case=case,
        kind=EventKind.NOTE,
        payload={"publication": publication.pk, "action": "propose", "version": version.number},
    )
    return publication


def _facts(case: Case, reply: Reply) -> dict[str, Any]:
    """What the board filters on, copied from the case so it never has to join it."""
    return {
        "region_code": case.region.code,
        "category": _top_category(case.category),
        "unit": case.lead_org or case.register_org,
        "is_replied": True,
        "received_at": case.received_at,
        "replied_at": reply.at,
    }


def publications_due(*, limit: int = SWEEP_BATCH) -> QuerySet[Case]:
    """Publishable cases with a written reply and no Publication yet, oldest first."""
    replied = Q(status__in=REPLIED_STATES) | Q(
        status=S.CLOSED, close_reason__in=REPLIED_CLOSE_REASONS
    )
    return (
        Case.objects.filter(replied, consent_publish=True, is_confidential_accusation=False)
        .exclude(petition_type__kind="accusation")
        .filter(publication__isnull=True)
        .select_related("petition_type", "region", "category")
        .order_by("pk")[:limit]
    )


def publications_propose_due(*, limit: int = SWEEP_BATCH) -> int:
    """The periodic sweep: propose every due case; returns how many proposals were made."""
    made = 0
    for case in publications_due(limit=limit):
        if publication_propose(case=case) is not None:
            made += 1
    return made


# --- moderation ---------------------------------------------------------------------------


def _moderator_org(publication: Publication, actor: User) -> Org:
    """The unit through which `actor` moderates this case: a supervisor of its region."""
    case = publication.case
    scope = staff_scope(user=actor)
    org = case_acting_org(case=case, scope=scope, perms=MODERATE)
    if org is not None:
        return org
    if not scope.perms & MODERATE or case_get_for_user(user=actor, case_id=case.pk) is None:
        raise ApplicationError(
            Msg("未找到该公开信访件。", "Publication not found."), code="not_found"
        )
    raise ApplicationError(
        Msg("您没有审核公开的权限。", "You may not moderate this publication."), code="forbidden"
    )


def _locked(publication: Publication, *expected: PublicationStatus) -> Publication:
    row = (
        Publication.objects.select_for_update()
        .select_related("case__petition_type", "case__region")
        .get(pk=publication.pk)
    )
    if row.status not in expected:
        raise Conflict(
            Msg("该公开信访件状态已变化，请刷新后重试。", "The publication changed; reload.")
        )
    return row


def pii_errors(
    *, fields: dict[str, str], known_names: list[str] | tuple[str, ...] = ()
) -> FieldErrors | None:
    """FieldErrors naming the personal data still in each edited text, or None if clean."""
    errors: dict[str, list[Msg]] = {}
    for name, text in fields.items():
        found = redact(text, known_names=known_names).counts
        if found:
            what = [CLASS_LABELS[c] for c in CLASSES if c in found]
            errors[name] = [
                Msg(
                    "仍含有个人信息：{x}。请删除或使用占位符。",
                    "Still contains personal data: {x}. Remove it or use a placeholder.",
                ).format(x="、".join(m.zh for m in what))
            ]
    return FieldErrors(errors) if errors else None


def _edited_version(
    publication: Publication,
    base: PublicationVersion,
    actor: User,
    edits: dict[str, str | None],
    note: str,
) -> PublicationVersion:
    """The base version, or a new one with the moderator's edits once they are checked clean."""
    # Browsers send a textarea's line breaks as CRLF: an untouched text is no edit.
    cleaned = {k: _plain(v) for k, v in edits.items() if v is not None}
    changed = {k: v for k, v in cleaned.items() if v != getattr(base, k)}
    if not changed:
        return base
    if changed.get("title") == "" or changed.get("content") == "":
        raise FieldErrors(
            {
                k: [Msg("此项必填。", "This field is required.")]
                for k, v in changed.items()
                if k != "reply" and not v
            }
        )
    errors = pii_errors(fields=changed, known_names=_known_names(publication.case))
    if errors is not None:
        raise errors
    return PublicationVersion.objects.create(
        publication=publication,
        number=_next_number(publication),
        title=changed.get("title", base.title)[:200],
        content=changed.get("content", base.content),
        reply=changed.get("reply", base.reply),
        redactions=base.redactions,
        note=note[:500],
        created_at=timezone.now(),
        created_by=actor,
    )


def _search_text(*parts: str) -> str:
    from xinfang.triage.textnorm import tokenize

    return " ".join(tokenize(" ".join(parts)))


def _record(
    publication: Publication, actor: User, org: Org, action: str, reason: str = "", **extra: object
) -> None:
    case_event_append(
        case=publication.case,
        kind=EventKind.NOTE,
        actor=actor,
        actor_org=org,
        reason=reason,
        payload={"publication": publication.pk, "action": action, **extra},
    )


@transaction.atomic
def publication_approve(
    *,
    publication: Publication,
    actor: User,
    version: PublicationVersion | None = None,
    title: str | None = None,
    content: str | None = None,
    reply: str | None = None,
    note: str = "",
) -> Publication:
    """Publish a pending proposal, optionally edited by the moderator first.

    Edits become a new version and are checked by `redact` again: text that still holds a phone
    number, an ID or a known name is refused field by field. An accusation or confidential
    case, or one whose consent is gone, is refused whatever the queue says.
    """
    row = _locked(publication, PublicationStatus.PENDING)
    if not publication_case_publishable(case=row.case):
        raise ApplicationError(NOT_PUBLISHABLE, code="not_publishable")
    org = _moderator_org(row, actor)
    base = version or _latest(row)
    if base is None or base.publication_id != row.pk:
        raise Conflict(Msg("没有可公开的版本。", "There is no version to publish."))
    edits = {"title": title, "content": content, "reply": reply}
    chosen = _edited_version(row, base, actor, edits, note)
    now = timezone.now()
    PublicationVersion.objects.filter(pk=chosen.pk).update(approved_at=now, approved_by=actor)
    row.title, row.content, row.reply = chosen.title, chosen.content, chosen.reply
    row.status, row.published_at, row.version = PublicationStatus.PUBLISHED, now, chosen.number
    row.search_text = _search_text(chosen.title, chosen.content, chosen.reply)
    row.save()
    _record(row, actor, org, "approve", note, version=chosen.number)
    return row


@transaction.atomic
def publication_reject(*, publication: Publication, actor: User, reason: str) -> Publication:
    """不予公开: the proposal stays in the record, the case never reaches the board."""
    if not reason.strip():
        raise FieldErrors({"reason": [Msg("请填写理由。", "Please give a reason.")]})
    row = _locked(publication, PublicationStatus.PENDING)
    org = _moderator_org(row, actor)
    row.status = PublicationStatus.REJECTED
    row.save(update_fields=["status"])
    _record(row, actor, org, "reject", reason.strip())
    return row


@transaction.atomic
def publication_withdraw(*, publication: Publication, actor: User, reason: str) -> Publication:
    """Takedown (on the petitioner's request, or a moderator's second thoughts): the public page
    and search hit disappear at once; every version stays on record."""
    if not reason.strip():
        raise FieldErrors({"reason": [Msg("请填写理由。", "Please give a reason.")]})
    row = _locked(publication, PublicationStatus.PUBLISHED)
    org = _moderator_org(row, actor)
    row.status = PublicationStatus.WITHDRAWN
    row.search_text = ""
    row.save(update_fields=["status", "search_text"])
    _record(row, actor, org, "withdraw", reason.strip(), version=row.version)
    return row


@transaction.atomic
def publication_requeue(*, publication: Publication, actor: User, reason: str) -> Publication:
    """Put a rejected or withdrawn publication back into the queue (a decision reconsidered,
    or the petitioner agrees again); it needs a fresh approval to be public."""
    if not reason.strip():
        raise FieldErrors({"reason": [Msg("请填写理由。", "Please give a reason.")]})
    row = _locked(publication, PublicationStatus.REJECTED, PublicationStatus.WITHDRAWN)
    if not publication_case_publishable(case=row.case):
        raise ApplicationError(NOT_PUBLISHABLE, code="not_publishable")
    org = _moderator_org(row, actor)
    row.status = PublicationStatus.PENDING
    row.save(update_fields=["status"])
    _record(row, actor, org, "requeue", reason.strip())
    return row
