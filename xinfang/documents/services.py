"""Writes for documents: issuing (numbered, rendered and frozen), service, templates."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from xinfang.cases.models import Case
from xinfang.cases.selectors import case_main_petitioner
from xinfang.clock.engine import TZ
from xinfang.core import validators as v
from xinfang.core.counters import counter_next
from xinfang.core.errors import ApplicationError, Conflict, FieldErrors, Msg
from xinfang.documents import bundled
from xinfang.documents.choices import INTERNAL_KINDS, KIND_SHORT, DocumentKind
from xinfang.documents.models import Document, DocumentCounter, DocumentTemplate
from xinfang.documents.rendering import body_render, document_context, template_problems
from xinfang.documents.selectors import template_get_active
from xinfang.documents.specs import date_zh, fields_clean
from xinfang.orgs.models import Org, User

ANONYMOUS_NAME = "信访人"


def document_number_allocate(*, org: Org, kind: DocumentKind, year: int) -> str:
    """Next number for (unit, kind, year), e.g. 430102-XFJ-YJ-2026-0007.

    Like cases' item numbers: one upsert whose row lock is held until the caller commits,
    so numbers are unique and dense and a rolled-back issue leaves no gap.
    """
    keys: dict[str, int | str] = {"org_id": org.pk, "kind": str(kind), "year": year}
    seq = counter_next(model=DocumentCounter, keys=keys)
    return f"{org.code}-{KIND_SHORT[kind]}-{year}-{seq:04d}"


def _case_facts(case: Case) -> dict[str, Any]:
    return {
        "item_number": case.item_number,
        "title": case.title,
        "content": case.content,
        "received_at": date_zh(timezone.localtime(case.received_at, TZ).date()),
        "is_collective": case.is_collective,
    }


def _petitioner_facts(case: Case) -> dict[str, Any]:
    person = None if case.is_anonymous else case_main_petitioner(case=case)
    name = (person.name or "").strip() if person else ""
    return {
        "name": name or ANONYMOUS_NAME,
        "masked_name": v.mask_name(name) if name else ANONYMOUS_NAME,
        "you": "你们" if case.is_collective else "你",
        "is_anonymous": not name,
    }


def _render(template: DocumentTemplate, context: Mapping[str, Any]) -> str:
    try:
        return body_render(body=template.body, context=context)
    except Exception as exc:  # a template broken since it was saved must not half-issue
        raise ApplicationError(
            Msg(
                f"“{template.title}”模板无法生成文书，请管理员检查模板。",
                f"The template “{template.title}” failed to render; ask an administrator.",
            ),
            code="template_broken",
        ) from exc


@transaction.atomic
def document_issue(
    *,
    case: Case,
    kind: DocumentKind,
    org: Org,
    actor: User | None,
    fields: Mapping[str, Any],
) -> Document:
    """Number, render and store a document of `kind` for `case`, issued by `org`.

    `fields` are checked against the kind's specification (documents.specs.KIND_FIELDS);
    every problem is reported at once as FieldErrors and nothing is written. The rendered
    HTML is frozen: later template edits never change an issued document. Permission
    checks and the case event are the caller's (the workflow service that issues it).
    """
    kind = DocumentKind(kind)
    now = timezone.now()
    issued = timezone.localtime(now, TZ).date()
    values = fields_clean(kind=kind, raw=fields, issued=issued)
    template = template_get_active(kind=kind)
    if template is None:
        raise ApplicationError(
            Msg(
                f"没有启用的“{kind.label}”模板，请管理员在后台添加。",
                f"No active template for {kind.value}; ask an administrator to add one.",
            ),
            code="template_missing",
        )
    number = document_number_allocate(org=org, kind=kind, year=issued.year)
    context = document_context(
        kind=kind,
        number=number,
        title=template.title,
        issued=issued,
        case=_case_facts(case),
        petitioner=_petitioner_facts(case),
        org_name=org.name,
        values=values,
    )
    return Document.objects.create(
        case=case,
        kind=kind,
        number=number,
        org=org,
        title=template.title,
        html=_render(template, context),
        fields=values,
        template_version=template.version,
        created_by=actor,
        created_at=now,
        is_public=kind not in INTERNAL_KINDS,
    )


def document_serve(*, document: Document, served_at: datetime) -> Document:
    """Record the date the document reached its addressee (送达); recorded once only."""
    if timezone.is_naive(served_at):
        raise FieldErrors(
            {"served_at": [Msg("送达时间须带时区。", "The service time needs a time zone.")]}
        )
    # By calendar day: a service date entered as local midnight of the issue day is fine.
    if (
        timezone.localtime(served_at, TZ).date()
        < timezone.localtime(document.created_at, TZ).date()
    ):
        raise FieldErrors(
            {"served_at": [Msg("送达日期不能早于出具日期。", "Service cannot precede issue.")]}
        )
    updated = Document.objects.filter(pk=document.pk, served_at__isnull=True).update(
        served_at=served_at
    )
    if updated != 1:  # someone recorded it first, or it was already served
        raise Conflict(
            Msg("该文书已记录送达。", "This document's service is already recorded."),
            code="already_served",
        )
    document.served_at = served_at
    return document


def template_check(*, template: DocumentTemplate, today: date | None = None) -> None:
    """Refuse (FieldErrors on `body`) a template that would not render every document."""
    issued = today or timezone.localdate()
    problems = template_problems(
        kind=DocumentKind(template.kind), body=template.body, issued=issued
    )
    if problems:
        raise FieldErrors({"body": problems})


@transaction.atomic
def template_save(*, template: DocumentTemplate, actor: User | None) -> DocumentTemplate:
    """Check and store a template; a changed title or body is a new version."""
    template_check(template=template)
    before = DocumentTemplate.objects.filter(pk=template.pk).values("title", "body").first()
    template.updated_by = actor
    if before is None:
        template.save()
        return template
    # Kind and language stay what they were: documents find their template by them.
    template.save(update_fields=["title", "body", "is_active", "updated_by", "updated_at"])
    if (before["title"], before["body"]) != (template.title, template.body):
        # F() so two editors saving at once still get two versions.
        DocumentTemplate.objects.filter(pk=template.pk).update(version=F("version") + 1)
        template.refresh_from_db(fields=["version"])
    return template


def template_defaults_install() -> int:
    """Install the shipped default of every kind still without a template; returns how many."""
    return bundled.install(DocumentTemplate)
