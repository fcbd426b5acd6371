from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinfang.cases.workflow import CaseStatus
from xinfang.core.fields import EncryptedTextField


class Channel(models.TextChoices):
    WEB = "web", _("网上信访 Web portal")
    MOBILE = "mobile", _("手机客户端 Mobile app")
    API = "api", _("接口 API")
    WECHAT = "wechat", _("微信 WeChat")
    MAILBOX = "mailbox", _("领导信箱 Leader mailbox")
    HOTLINE = "hotline", _("热线 Hotline")
    LETTER = "letter", _("来信 Letter")
    VISIT = "visit", _("来访 Visit")
    OPEN311 = "open311", _("Open311")
    PROXY = "proxy", _("代理 Proxy")
    GRID = "grid", _("网格 Grid")


class Case(models.Model):
    """A petition item (信访件): DOMAIN.md §9.1. Status is written only by cases.services."""

    item_number = models.CharField(_("信访件编号"), max_length=40, unique=True)
    query_code = models.CharField(_("查询码"), max_length=16, unique=True)
    # HMAC of the receipt secret that anonymous petitioners use as their second factor.
    track_secret_digest = models.CharField(max_length=64, blank=True, editable=False)

    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    petition_type = models.ForeignKey(
        "catalog.PetitionType", on_delete=models.PROTECT, verbose_name=_("信访类型")
    )
    category = models.ForeignKey(
        "catalog.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("内容分类"),
    )
    region = models.ForeignKey(
        "orgs.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("问题属地")
    )
    register_org = models.ForeignKey(
        "orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("登记机构")
    )
    title = models.CharField(_("标题"), max_length=100)
    content = models.TextField(_("诉求内容"))

    status = models.CharField(
        _("状态"),
        max_length=24,
        choices=CaseStatus.choices,
        default=CaseStatus.RECEIVED,
        editable=False,
    )
    status_changed_at = models.DateTimeField(editable=False)
    received_at = models.DateTimeField(_("收到时间"))
    registered_at = models.DateTimeField(_("登记时间"), null=True, blank=True, editable=False)
    # The clock currently running on the case (DESIGN invariant 3), computed by the deadline
    # engine from a deadline profile; `due_provisional` when it reaches an unpublished year.
    due_profile = models.ForeignKey(
        "catalog.DeadlineProfile",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("当前时限"),
    )
    due_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    due_at = models.DateTimeField(_("办理期限"), null=True, blank=True, editable=False)
    due_provisional = models.BooleanField(
        _("期限待定（未公布年度）"), default=False, editable=False
    )

    is_anonymous = models.BooleanField(_("匿名"), default=False)
    is_collective = models.BooleanField(_("集体/联名"), default=False)
    petitioner_count = models.PositiveIntegerField(_("信访人数"), default=1)
    involved_count = models.PositiveIntegerField(_("涉及人数"), default=1)
    is_confidential_accusation = models.BooleanField(_("检举控告保密"), default=False)
    consent_publish = models.BooleanField(_("同意公开"), default=False)

    accused_person = models.CharField(_("被反映人"), max_length=64, blank=True)
    accused_unit = models.CharField(_("被反映单位"), max_length=128, blank=True)
    accused_org = models.ForeignKey(
        "orgs.Org",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("被反映单位（机构）"),
    )

    idempotency_key = models.CharField(max_length=128, null=True, blank=True, unique=True)
    request_digest = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("信访件")
        verbose_name_plural = _("信访件")
        indexes = [
            models.Index(fields=["status", "received_at"]),
            models.Index(fields=["register_org", "received_at"]),
            models.Index(fields=["region", "received_at"]),
            models.Index(fields=["due_at"], condition=Q(due_at__isnull=False), name="case_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(petitioner_count__gte=1) & Q(involved_count__gte=1),
                name="case_counts_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.item_number


class Petitioner(models.Model):
    """A person or organisation behind a petition (DOMAIN.md §9.2); identity fields encrypted."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="petitioners")
    seq = models.PositiveSmallIntegerField(_("序号"), default=1)
    is_main = models.BooleanField(_("主访人"), default=True)
    name = EncryptedTextField(_("姓名"), blank=True, context="petitioner.name")
    phone = EncryptedTextField(_("手机"), blank=True, context="petitioner.phone")
    phone_index = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    id_number = EncryptedTextField(_("证件号码"), blank=True, context="petitioner.id_number")
    id_index = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    address = EncryptedTextField(_("住址"), blank=True, context="petitioner.address")

    class Meta:
        ordering = ["case", "seq"]
        verbose_name = _("信访人")
        verbose_name_plural = _("信访人")
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="petitioner_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq}"


class AccessRelation(models.TextChoices):
    LEAD = "lead", _("主办")
    CO = "co", _("协办")
    SUPERVISE = "supervise", _("督办")
    FORWARD = "forward", _("转送/交办")


class CaseAccess(models.Model):
    """Why a unit other than the registering organ may see a case (DESIGN invariant 4).

    Scoped selectors read this table and `Case.register_org`; nothing else grants access.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="access")
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="case_access")
    relation = models.CharField(max_length=16, choices=AccessRelation.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "org", "relation"], name="case_access_unique"),
        ]
        indexes = [models.Index(fields=["org", "case"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.relation} {self.org_id}"


class EventKind(models.TextChoices):
    RECEIVED = "received", _("收到")
    STATUS = "status", _("状态变更")
    ROUTE_SUGGESTED = "route_suggested", _("派单建议")
    DEADLINE = "deadline", _("期限调整")
    NOTE = "note", _("备注")


class CaseEvent(models.Model):
    """Append-only log of everything that happened to a case (DESIGN invariant 2).

    Rows are inserted by cases.services only and never updated or deleted; the public
    timeline, KPIs and audit are derived from them.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    from_status = models.CharField(max_length=24, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=CaseStatus.choices, blank=True)
    actor = models.ForeignKey(
        "orgs.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_org = models.ForeignKey(
        "orgs.Org", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    is_public = models.BooleanField(default=False)
    deadline_before = models.DateTimeField(null=True, blank=True)
    deadline_after = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["case", "id"]
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.to_status}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.original_name


class ItemCounter(models.Model):
    """Per registering organ and year, the last item number issued."""

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "year"], name="item_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.org_id}/{self.year}: {self.last}"
