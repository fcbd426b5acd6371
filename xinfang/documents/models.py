from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.documents.choices import DocumentKind, TemplateLanguage


class DocumentTemplate(models.Model):
    """The editable wording of one kind of document, as Django template source.

    Written only through `documents.services.template_save`, which checks that the source
    compiles and renders and bumps `version`; issued documents keep their own rendered copy,
    so editing a template never changes what was already sent.
    """

    kind = models.CharField(_("文书种类"), max_length=32, choices=DocumentKind.choices)
    language = models.CharField(
        _("语言"), max_length=8, choices=TemplateLanguage.choices, default=TemplateLanguage.ZH_HANS
    )
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("模板正文"))
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("修改人"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        ordering = ["kind", "language"]
        verbose_name = _("文书模板")
        verbose_name_plural = _("文书模板")
        constraints = [
            models.UniqueConstraint(fields=["kind", "language"], name="document_template_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language}) v{self.version}"


class Document(models.Model):
    """An issued document (文书) of a case: its number, the structured inputs and the
    rendered text frozen at issue. Created only by `documents.services.document_issue`."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="documents", verbose_name=_("信访件")
    )
    kind = models.CharField(_("文书种类"), max_length=32, choices=DocumentKind.choices)
    number = models.CharField(_("文号"), max_length=64, unique=True)
    org = models.ForeignKey(
        "orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("出具单位")
    )
    title = models.CharField(_("标题"), max_length=100)
    html = models.TextField(_("正文"))
    fields = models.JSONField(_("内容项"), default=dict)
    template_version = models.PositiveIntegerField(_("模板版本"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("出具人"),
    )
    created_at = models.DateTimeField(_("出具时间"))
    served_at = models.DateTimeField(_("送达日期"), null=True, blank=True)
    # False for documents addressed to a unit (交办通知, 督办单): the citizen side never shows them.
    is_public = models.BooleanField(_("信访人可见"), default=True)

    class Meta:
        ordering = ["case", "created_at", "pk"]
        verbose_name = _("文书")
        verbose_name_plural = _("文书")
        indexes = [models.Index(fields=["case", "kind"])]

    def __str__(self) -> str:
        return self.number


class DocumentCounter(models.Model):
    """Per issuing unit, kind and year, the last sequence number given to a document."""

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "kind", "year"], name="document_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.org_id}/{self.kind}/{self.year}: {self.last}"
