"""The 12345 work-order extras of a hotline petition (DOMAIN §9.4): its number in the hotline
system, when the call came in, the demand type as the hotline named it, and how the agent
disposed of the call. The petition itself is a cases.Case made by intake like any other."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Disposition(models.TextChoices):
    SAVED = "saved", _("登记待办")
    DIRECT_ANSWER = "direct_answer", _("直接答复")
    DISPATCH = "dispatch", _("派单")
    IMPORTED = "imported", _("工单导入")


class WorkOrder(models.Model):
    """One 12345 work order or hotline call, tied to the petition it became.

    `number` is the hotline system's 工单编号 for imported orders (also in the petition's
    idempotency key) and empty for calls taken on the entry screen, whose number is the
    petition's item number.
    """

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="work_order", verbose_name=_("信访件")
    )
    number = models.CharField(_("工单编号"), max_length=64, null=True, blank=True, unique=True)
    called_at = models.DateTimeField(_("来电时间"))
    demand_type = models.CharField(_("诉求类型"), max_length=32, blank=True)
    disposition = models.CharField(
        _("处理方式"), max_length=16, choices=Disposition.choices, default=Disposition.SAVED
    )
    agent = models.ForeignKey(
        "orgs.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("话务员"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("热线工单")
        verbose_name_plural = _("热线工单")
        indexes = [models.Index(fields=["called_at"])]

    def __str__(self) -> str:
        return self.number or str(self.case_id)
