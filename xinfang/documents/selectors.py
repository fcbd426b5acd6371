"""Reads for documents. Staff reach a document only through its case's scoped selector."""

from __future__ import annotations

from django.db.models import QuerySet

from xinfang.cases.models import Case
from xinfang.cases.selectors import case_get_for_user
from xinfang.documents.choices import DocumentKind, TemplateLanguage
from xinfang.documents.models import Document, DocumentTemplate


def template_get_active(
    *, kind: DocumentKind, language: TemplateLanguage = TemplateLanguage.ZH_HANS
) -> DocumentTemplate | None:
    return DocumentTemplate.objects.filter(kind=kind, language=language, is_active=True).first()


def document_list_for_case(*, case: Case, public_only: bool = False) -> QuerySet[Document]:
    """The case's documents in issue order; `public_only` leaves out those addressed to units."""
    documents = Document.objects.filter(case=case).select_related("org")
    if public_only:
        documents = documents.filter(is_public=True)
    return documents.order_by("created_at", "pk")


def document_get_for_user(*, user: object, document_id: int) -> Document | None:
    """One document if its case is in the user's scope, else None (callers answer 404)."""
    document = Document.objects.select_related("org").filter(pk=document_id).first()
    if document is None:
        return None
    case = case_get_for_user(user=user, case_id=document.case_id)
    if case is None:
        return None
    document.case = case  # the scoped row, already loaded
    return document
