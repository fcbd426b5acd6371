from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    """One node of the 3-level content catalogue (内容分类), code "LLMMNN" (2+2+2 digits)."""

    code = models.CharField(_("分类代码"), max_length=6, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.PositiveSmallIntegerField(_("层级"))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    keywords = models.TextField(_("关键词"), blank=True, help_text=_("逗号分隔，用于分类建议"))
    is_active = models.BooleanField(_("启用"), default=True)
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("内容分类")
        verbose_name_plural = _("内容分类")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=3), name="category_level_1_3"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TimeUnit(models.TextChoices):
    CALENDAR_DAY = "calendar_day", _("自然日 Calendar days")
    WORKING_DAY = "working_day", _("工作日 Working days")
    NATURAL_HOUR = "natural_hour", _("小时 Hours")
    WORKING_HOUR = "working_hour", _("工作小时 Working hours")


class DeadlineProfile(models.Model):
    """A time limit as data: amount × unit, with its legal basis (DESIGN invariant 3)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    amount = models.PositiveIntegerField(_("时限"))
    unit = models.CharField(_("单位"), max_length=16, choices=TimeUnit.choices)
    legal_basis = models.CharField(_("依据"), max_length=200, blank=True)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("时限配置")
        verbose_name_plural = _("时限配置")

    def __str__(self) -> str:
        return f"{self.name}（{self.amount} {self.get_unit_display()}）"


class StatutoryKind(models.TextChoices):
    """The legal typology of 信访工作条例 Arts. 29–31, plus the two non-petition kinds.

    Code depends on these (the whistleblower rule applies to accusations), so they are
    choices; the petition types citizens pick are data that map onto them.
    """

    ADVICE = "advice", _("建议意见类")
    ACCUSATION = "accusation", _("检举控告类")
    APPEAL = "appeal", _("申诉求决类")
    CONSULTATION = "consultation", _("咨询类")
    PRAISE = "praise", _("表扬类")


class PetitionType(models.Model):
    """信访目的 as offered to petitioners (建议意见 / 检举控告 / 申诉求决 / 咨询 / 表扬…)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=32)
    name_en = models.CharField(_("英文名称"), max_length=64)
    kind = models.CharField(_("法定类别"), max_length=16, choices=StatutoryKind.choices)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    handling_profile = models.ForeignKey(
        DeadlineProfile,
        on_delete=models.PROTECT,
        verbose_name=_("办理时限"),
        null=True,
        blank=True,
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("信访类型")
        verbose_name_plural = _("信访类型")

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The type's name in the current UI language."""
        return (
            self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name
        )


class DispatchRule(models.Model):
    """派单目录: content category × region → lead unit and co-handlers.

    A rule with no category applies to every category; a rule's region covers its whole
    subtree. The most specific rule wins (see `catalog.selectors.dispatch_lookup`).
    """

    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("内容分类")
    )
    region = models.ForeignKey("orgs.Region", on_delete=models.PROTECT, verbose_name=_("区划"))
    lead_org = models.ForeignKey(
        "orgs.Org", on_delete=models.PROTECT, related_name="lead_rules", verbose_name=_("主办单位")
    )
    co_orgs = models.ManyToManyField(
        "orgs.Org", blank=True, related_name="co_rules", verbose_name=_("协办单位")
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("派单目录")
        verbose_name_plural = _("派单目录")
        constraints = [
            models.UniqueConstraint(fields=["category", "region"], name="dispatch_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.category or '*'} × {self.region} → {self.lead_org}"
