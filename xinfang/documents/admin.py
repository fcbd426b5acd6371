"""Admins edit the wording of documents here; issued documents are listed read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from xinfang.cases.selectors import case_list_for_user
from xinfang.core.errors import FieldErrors
from xinfang.documents.choices import DocumentKind
from xinfang.documents.models import Document, DocumentTemplate
from xinfang.documents.services import template_check, template_save
from xinfang.documents.specs import KIND_FIELDS

COMMON_VARIABLES = (
    ("doc.number", "文号"),
    ("doc.title", "标题"),
    ("doc.issue_date", "出具日期（2026年1月5日）"),
    ("org.name", "出具单位"),
    ("case.item_number", "信访件编号"),
    ("case.title", "信访事项标题"),
    ("case.content", "信访事项内容"),
    ("case.received_at", "收到日期"),
    ("petitioner.name", "信访人姓名（匿名时为“信访人”）"),
    ("petitioner.masked_name", "信访人姓名（脱敏）"),
    ("petitioner.you", "你 / 你们（集体信访）"),
)


class DocumentTemplateForm(forms.ModelForm):
    class Meta:
        model = DocumentTemplate
        fields = ("kind", "language", "title", "body", "is_active")
        widgets = {"body": forms.Textarea(attrs={"rows": 30, "class": "vLargeTextField"})}

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        body = data.get("body")
        kind = data.get("kind") or self.instance.kind
        if body and kind:
            try:
                template_check(template=DocumentTemplate(kind=kind, body=body))
            except FieldErrors as exc:
                for msgs in exc.errors.values():
                    self.add_error("body", [str(m) for m in msgs])
        return data


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(admin.ModelAdmin):
    form = DocumentTemplateForm
    list_display = ("kind", "language", "title", "version", "is_active", "updated_by", "updated_at")
    list_filter = ("language", "is_active")
    readonly_fields = ("version", "updated_by", "updated_at", "variables")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Documents find their template by kind and language; those stay fixed once created.
        fixed = ("kind", "language") if obj else ()
        return (*fixed, *self.readonly_fields)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # switch a template off instead; a kind without one cannot be issued

    def save_model(
        self, request: HttpRequest, obj: DocumentTemplate, form: Any, change: bool
    ) -> None:
        template_save(template=obj, actor=request.user)

    @admin.display(description="可用变量")
    def variables(self, obj: DocumentTemplate) -> str:
        rows = [(f"{{{{ {name} }}}}", label) for name, label in COMMON_VARIABLES]
        if obj.kind:
            for spec in KIND_FIELDS[DocumentKind(obj.kind)]:
                need = "必填" if spec.required else "选填"
                rows.append((f"{{{{ fields.{spec.name} }}}}", f"{spec.label.zh}（{need}）"))
        items = format_html_join("", "<li><code>{}</code> {}</li>", rows)
        return format_html(
            "<ul>{}</ul><p>{}</p>",
            items,
            "fields.* 为打印用语（日期为中文，结果为中文名称）；"
            "values.* 为原始代码，可用于 {% if %} 判断。",
        )


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Read-only: an issued document is a record; only its service date is set later."""

    list_display = ("number", "kind", "case", "org", "created_at", "served_at", "print_link")
    list_filter = ("kind", "is_public")
    search_fields = ("number",)
    list_select_related = ("case", "org")
    fields = (
        "number",
        "kind",
        "case",
        "org",
        "title",
        "fields",
        "template_version",
        "created_by",
        "created_at",
        "served_at",
        "is_public",
        "print_link",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Document]:
        visible = case_list_for_user(user=request.user).values("pk")
        return Document.objects.filter(case__in=visible)

    @admin.display(description="打印")
    def print_link(self, obj: Document) -> str:
        url = reverse("documents:print", args=[obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">打印</a>', url)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
