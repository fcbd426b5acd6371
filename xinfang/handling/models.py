"""What the handling of a petition produces besides state moves: supervision orders, the
petitioner's ratings, revisit tasks, and staff alerts. Written only by handling.services."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SupervisionLevel(models.IntegerChoices):
    """The escalation ladder of DOMAIN §6.3 W17 / Art. 40: each level has its own deadline."""

    REMIND = 1, _("催办")
    SUPERVISE = 2, _("督办")
    CIRCULATE = 3, _("通报")


class SupervisionStatus(models.TextChoices):
    OPEN = "open", _("待反馈")
    ANSWERED = "answered", _("已反馈")
    ESCALATED = "escalated", _("已升级")


class SupervisionOrder(models.Model):
    """A numbered 催办/督办/通报 order to a unit, which must answer in writing by `feedback_due`."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="supervisions")
    level = models.PositiveSmallIntegerField(_("级别"), choices=SupervisionLevel.choices)
    number = models.CharField(_("督办文号"), max_length=60, blank=True)
    issuer_org = models.ForeignKey(
        "orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("督办单位")
    )
    target_org = models.ForeignKey(
        "orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("被督办单位")
    )
    problem = models.TextField(_("督办事由"))
    feedback_due = models.DateTimeField(_("反馈期限"))
    status = models.CharField(
        _("状态"), max_length=12, choices=SupervisionStatus.choices, default=SupervisionStatus.OPEN
    )
    feedback = models.TextField(_("书面反馈"), blank=True)
    feedback_by = models.ForeignKey(
        "orgs.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    feedback_at = models.DateTimeField(null=True, blank=True)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="escalation"
    )
    created_by = models.ForeignKey(
        "orgs.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        indexes = [
            models.Index(fields=["target_org", "status"]),
            models.Index(
                fields=["feedback_due"], condition=Q(status="open"), name="supervision_open_due"
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"{self.case_id}/{self.level}"


class RatingParty(models.TextChoices):
    BUREAU = "bureau", _("信访部门")
    UNIT = "unit", _("责任单位")


class RatingValue(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")
    EXPIRED = "expired", _("超期未评价")


class Rating(models.Model):
    """The petitioner's rating of one party for one reply ("round": a re-handled case is rated
    again). Never deleted: a revisit annotates it."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="ratings")
    round = models.PositiveSmallIntegerField(default=1)
    party = models.CharField(max_length=8, choices=RatingParty.choices)
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    value = models.CharField(max_length=16, choices=RatingValue.choices)
    reason = models.TextField(blank=True)
    source = models.CharField(max_length=16, default="online")
    annotation = models.TextField(_("回访备注"), blank=True)
    rated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        constraints = [
            models.UniqueConstraint(fields=["case", "round", "party"], name="rating_once"),
        ]
        indexes = [models.Index(fields=["org", "rated_at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.party} {self.value}"


class RevisitOutcome(models.TextChoices):
    REHANDLE = "rehandle", _("重新办理")
    SUPERVISE = "supervise", _("转督办")
    ANNOTATE = "annotate", _("维持评价并备注")
    UNREACHABLE = "unreachable", _("无法联系")


class RevisitTask(models.Model):
    """A 回访 of a dissatisfied petitioner by the supervising bureau."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="revisits")
    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, related_name="revisits")
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    is_open = models.BooleanField(default=True)
    outcome = models.CharField(max_length=16, choices=RevisitOutcome.choices, blank=True)
    note = models.TextField(blank=True)
    done_by = models.ForeignKey(
        "orgs.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("回访任务")
        verbose_name_plural = _("回访任务")
        indexes = [models.Index(fields=["org", "is_open"])]

    def __str__(self) -> str:
        return f"{self.case_id} revisit"


class AlertKind(models.TextChoices):
    WARNING = "warning", _("临期预警")
    OVERDUE = "overdue", _("超期")
    SUPERVISION = "supervision", _("督办")
    ASSIGNMENT = "assignment", _("新交办")
    APPROVAL = "approval", _("待审批")
    HOTSPOT = "hotspot", _("热点问题")


class StaffAlert(models.Model):
    """An in-app notice to a unit's staff (the workbench shows unread ones); e-mail and SMS
    copies go through the notifications outbox when it exists."""

    org = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    text = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["org", "read_at", "created_at"])]

    def __str__(self) -> str:
        return self.text
