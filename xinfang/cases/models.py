from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinfang.cases.workflow import OPEN_STATES, CaseStatus, CloseReason
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


class DueState(models.TextChoices):
    NORMAL = "normal", _("正常")
    WARNING = "warning", _("即将到期")
    OVERDUE = "overdue", _("已超期")


class Outcome(models.TextChoices):
    """The three outcomes of a 信访处理意见书 (Art. 32)."""

    SUPPORT = "support", _("支持")
    EXPLAIN = "explain", _("解释说明")
    REJECT = "reject", _("不予支持")


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
    # Mirror of the earliest running duty clock (CaseClock), kept by cases.clocks so queues
    # sort and filter on the case row alone; `due_provisional` when it reaches an unpublished year.
    due_at = models.DateTimeField(_("办理期限"), null=True, blank=True, editable=False)
    due_provisional = models.BooleanField(
        _("期限待定（未公布年度）"), default=False, editable=False
    )
    due_state = models.CharField(
        _("时限状态"),
        max_length=8,
        choices=DueState.choices,
        default=DueState.NORMAL,
        editable=False,
    )
    # The unit expected to act next (待签收/待办理/待审核 …): what a unit's queue reads.
    holder_org = models.ForeignKey(
        "orgs.Org",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("当前办理单位"),
    )
    lead_org = models.ForeignKey(
        "orgs.Org",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("主办单位"),
    )
    close_reason = models.CharField(
        _("办结原因"), max_length=24, choices=CloseReason.choices, blank=True, editable=False
    )
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True, editable=False)
    opinion_issued_at = models.DateTimeField(
        _("出具意见时间"), null=True, blank=True, editable=False
    )
    opinion_served_at = models.DateTimeField(
        _("意见书送达时间"), null=True, blank=True, editable=False
    )
    outcome = models.CharField(
        _("处理结果"), max_length=8, choices=Outcome.choices, blank=True, editable=False
    )
    handler = models.ForeignKey(
        "orgs.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("承办人"),
    )
    # 首办责任制: the first unit and person that accepted the matter keep its KPIs when it recurs.
    first_handler_org = models.ForeignKey(
        "orgs.Org",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("首办单位"),
    )
    first_handler = models.ForeignKey(
        "orgs.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("首办责任人"),
    )
    repeat_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="repeats",
        verbose_name=_("重复信访件"),
    )
    # 联名/群体: near-identical petitions of different people on one matter, handled together.
    # Every member (the first one too) points at the group's first item, so a group is one
    # indexed filter; a member merged into it (并单) is also closed with CloseReason.MERGED.
    group_root = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="group_members",
        editable=False,
        verbose_name=_("群体件主件"),
    )
    is_urgent = models.BooleanField(_("重大紧急"), default=False)
    is_fast_track = models.BooleanField(_("简易办理"), default=False)
    is_supervised = models.BooleanField(_("督办件"), default=False, editable=False)

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

    # Unique per channel (constraint below): each channel builds its keys from its own deliveries
    # (wechat:<appid>:<MsgId>, 12345:<工单编号> …), and a key sent to the public API must never
    # claim another channel's delivery.
    idempotency_key = models.CharField(max_length=128, null=True, blank=True)
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
            # A unit's queues: what it holds, by state, soonest due first.
            # Covering on PostgreSQL (ignored elsewhere): a page of ids without heap reads.
            models.Index(
                fields=["holder_org", "status", "due_at"],
                include=["id", "received_at"],
                name="case_queue",
            ),
            # The dashboards' live figures (open, overdue, fast channel by region): an
            # index-only count on PostgreSQL instead of reading every open case's heap page.
            models.Index(
                fields=["region", "due_state", "is_fast_track"],
                include=["id"],
                condition=Q(status__in=sorted(OPEN_STATES)),
                name="case_open_live",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(petitioner_count__gte=1) & Q(involved_count__gte=1),
                name="case_counts_positive",
            ),
            models.UniqueConstraint(
                fields=["channel", "idempotency_key"], name="case_idempotency_per_channel"
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
    SUB = "sub", _("二级承办")
    SUPERVISE = "supervise", _("督办")
    FORWARD = "forward", _("转送/交办")
    REEXAM = "reexam", _("复查机关")
    REVIEW = "review", _("复核机关")


class CaseAccess(models.Model):
    """Why a unit other than the registering organ may see a case (DESIGN invariant 4).

    Scoped selectors read this table and `Case.register_org`; nothing else grants access.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="access")
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="case_access")
    relation = models.CharField(max_length=16, choices=AccessRelation.choices)
    # A unit that returned a case (退单 agreed) or was replaced loses its access; the row stays
    # as history of who held the case.
    is_active = models.BooleanField(default=True)
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
    TRIAGE = "triage", _("分拣建议")
    DEADLINE = "deadline", _("期限调整")
    WARNING = "warning", _("临期预警")
    OVERDUE = "overdue", _("超期")
    NOTE = "note", _("备注")
    REQUEST = "request", _("申请")
    DECISION = "decision", _("审批")
    DOCUMENT = "document", _("文书")
    SUPERVISION = "supervision", _("督办")
    FEEDBACK = "feedback", _("督办反馈")
    RATING = "rating", _("评价")
    REVISIT = "revisit", _("回访")
    ACCESS = "access", _("协办/转派")


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


class ClockKind(models.TextChoices):
    ROUTE = "route", _("转送交办期限")
    NOTICE = "notice", _("受理告知期限")
    OBJECTION = "objection", _("异议期限")
    OBJECTION_DECIDE = "objection_decide", _("异议审核期限")
    HANDLE = "handle", _("办理期限")
    REPORT = "report", _("办结报告期限")
    REEXAM_WINDOW = "reexam_window", _("申请复查期限")
    REEXAM_DECIDE = "reexam_decide", _("复查期限")
    REVIEW_WINDOW = "review_window", _("申请复核期限")
    REVIEW_DECIDE = "review_decide", _("复核期限")
    RATING_WINDOW = "rating_window", _("评价期限")


# Clocks that bind an organ: they raise warnings and overdue flags. The others are windows
# that bind the petitioner (or the objecting unit) and simply close when they run out.
DUTY_CLOCKS: frozenset[ClockKind] = frozenset(
    {
        ClockKind.ROUTE,
        ClockKind.NOTICE,
        ClockKind.OBJECTION_DECIDE,
        ClockKind.HANDLE,
        ClockKind.REPORT,
        ClockKind.REEXAM_DECIDE,
        ClockKind.REVIEW_DECIDE,
    }
)


class CaseClock(models.Model):
    """One running or finished time limit on a case (DESIGN invariant 3).

    Written only by cases.clocks. `due_at` already includes approved extensions and pauses;
    `nominal_due` is the period's end before rolling past rest days (DOMAIN C-2).
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="clocks")
    kind = models.CharField(max_length=20, choices=ClockKind.choices)
    org = models.ForeignKey(
        "orgs.Org", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    profile = models.ForeignKey(
        "catalog.DeadlineProfile",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField()
    nominal_due = models.DateTimeField()
    due_at = models.DateTimeField()
    provisional = models.BooleanField(default=False)
    warn_at = models.DateTimeField(null=True, blank=True)
    extended_days = models.PositiveIntegerField(default=0)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_days = models.PositiveIntegerField(default=0)
    stopped_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case", "started_at", "pk"]
        indexes = [
            # The sweep: running clocks by when they next need attention.
            models.Index(
                fields=["due_at"],
                condition=Q(stopped_at__isnull=True, expired_at__isnull=True),
                name="clock_running_due",
            ),
            models.Index(
                fields=["warn_at"],
                condition=Q(stopped_at__isnull=True, warned_at__isnull=True),
                name="clock_running_warn",
            ),
            models.Index(fields=["case", "kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} → {self.due_at:%Y-%m-%d}"


class RequestKind(models.TextChoices):
    EXTENSION = "extension", _("延期申请")
    REPLY = "reply", _("答复审核")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已退回")


class CaseRequest(models.Model):
    """A handler's request that the unit head must approve: an extension (Art. 34) or the
    draft reply to be signed (T14). One pending request per case and kind."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="requests")
    kind = models.CharField(max_length=16, choices=RequestKind.choices)
    status = models.CharField(
        max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    fields = models.JSONField(default=dict)
    requested_by = models.ForeignKey("orgs.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        "orgs.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=Q(status="pending"),
                name="case_request_one_pending",
            ),
        ]
        indexes = [models.Index(fields=["org", "status"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.status}"
