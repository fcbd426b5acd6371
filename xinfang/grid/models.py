"""Proxy submissions (网上信访代理) and grid systems (网格化管理): who submitted for whom and
with what authority; which grid systems may post events; their workers and on-site tasks."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinfang.core.fields import EncryptedTextField


class ProxyRelation(models.TextChoices):
    GRID_WORKER = "grid_worker", _("网格员")
    VILLAGE_CADRE = "village_cadre", _("村（社区）干部")
    RELATIVE = "relative", _("近亲属")
    LAWYER = "lawyer", _("律师")
    OTHER = "other", _("其他")


# A lawyer or relative acts on a written power of attorney (授权委托书); local rules allow
# grid workers and cadres to help a petitioner without one, if they say why.
DOCUMENT_REQUIRED: frozenset[str] = frozenset({ProxyRelation.LAWYER, ProxyRelation.RELATIVE})


class ProxyAuthorisation(models.Model):
    """The authority under which an agent submitted a petition for someone else.

    Written in the intake transaction, so a proxy petition never exists without it. The
    petitioner stays the data subject (DOMAIN §3): the agent only gets a contact point.
    """

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="proxy_authorisation"
    )
    agent = models.ForeignKey("orgs.User", on_delete=models.PROTECT, related_name="+")
    agent_org = models.ForeignKey(
        "orgs.Org", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    relation = models.CharField(_("代理关系"), max_length=16, choices=ProxyRelation.choices)
    # The 授权委托书, stored as one of the case's attachments (so it is read under the case's
    # access rules and downloaded through the same audited view).
    document = models.ForeignKey(
        "cases.Attachment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("授权委托书"),
    )
    no_document_reason = models.TextField(_("未提供授权委托书的原因"), blank=True)
    petitioner_consent = models.BooleanField(_("信访人同意代理"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("代理授权")
        verbose_name_plural = _("代理授权")
        indexes = [models.Index(fields=["agent", "created_at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.relation}"


class GridSystem(models.Model):
    """A connected grid-management system (网格化管理平台) of one region.

    It authenticates with a bearer token of which only the SHA-256 is stored (the token is
    random, so a fast hash is enough). If `signing_secret` is set, every request must also be
    HMAC-signed (xinfang.grid.auth); the secret must be readable to check signatures, so it
    is encrypted rather than hashed.
    """

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    region = models.ForeignKey("orgs.Region", on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(_("令牌前缀"), max_length=12, editable=False)
    signing_secret = EncryptedTextField(
        _("签名密钥"), blank=True, context="grid.signing_secret", editable=False
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("网格系统")
        verbose_name_plural = _("网格系统")

    def __str__(self) -> str:
        return self.name


class GridWorker(models.Model):
    """A grid worker (网格员) as the grid system knows them; kept up to date from the reporter
    of each event the system posts."""

    system = models.ForeignKey(GridSystem, on_delete=models.PROTECT, related_name="workers")
    external_id = models.CharField(_("网格员编号"), max_length=64)
    grid_code = models.CharField(_("网格编码"), max_length=32)
    region = models.ForeignKey("orgs.Region", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("姓名"), max_length=64)
    phone = EncryptedTextField(_("手机"), blank=True, context="grid.worker.phone")
    is_active = models.BooleanField(_("在岗"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("网格员")
        verbose_name_plural = _("网格员")
        constraints = [
            models.UniqueConstraint(fields=["system", "external_id"], name="grid_worker_unique"),
        ]
        indexes = [models.Index(fields=["system", "grid_code"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.grid_code}）"


class GridEvent(models.Model):
    """One event a grid system posted, and the petition it became (one per system and id)."""

    system = models.ForeignKey(GridSystem, on_delete=models.PROTECT, related_name="events")
    event_id = models.CharField(max_length=64)
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="grid_event")
    grid_code = models.CharField(max_length=32)
    worker = models.ForeignKey(
        GridWorker, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category_text = models.CharField(max_length=64)
    # Often a resident's home address: personal data, encrypted at rest (DESIGN §3.6).
    address = EncryptedTextField(blank=True, context="grid.event.address")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    occurred_at = models.DateTimeField()
    # Photos given as links are kept as links: fetching them would let a caller make the
    # server request any address it names (SSRF).
    photo_urls = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("网格事件")
        verbose_name_plural = _("网格事件")
        constraints = [
            models.UniqueConstraint(fields=["system", "event_id"], name="grid_event_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.system_id}:{self.event_id}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待核查")
    DONE = "done", _("已核查")
    CANCELLED = "cancelled", _("已取消")


class VerificationTask(models.Model):
    """An on-site verification (核查任务) staff ask of the grid worker of the place.

    The grid system pulls open tasks and posts the result back; the result is recorded on
    the case as an event (not a status change).
    """

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="verification_tasks"
    )
    system = models.ForeignKey(GridSystem, on_delete=models.PROTECT, related_name="tasks")
    worker = models.ForeignKey(GridWorker, on_delete=models.PROTECT, related_name="tasks")
    question = models.TextField(_("核查事项"))
    due_at = models.DateTimeField(_("核查期限"))
    status = models.CharField(
        _("状态"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    result = models.TextField(_("核查结果"), blank=True)
    result_digest = models.CharField(max_length=64, blank=True, editable=False)
    photo_urls = models.JSONField(default=list, blank=True)
    verified_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    created_by = models.ForeignKey("orgs.User", on_delete=models.PROTECT, related_name="+")
    created_by_org = models.ForeignKey(
        "orgs.Org", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # What the grid system's "since" cursor reads.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("核查任务")
        verbose_name_plural = _("核查任务")
        indexes = [
            models.Index(fields=["system", "updated_at"]),
            models.Index(
                fields=["system", "worker"], condition=Q(status="open"), name="grid_task_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.worker_id} ({self.status})"


class VerificationPhoto(models.Model):
    """A photo the grid worker took on site, uploaded with the result."""

    task = models.ForeignKey(VerificationTask, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="grid/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.original_name
