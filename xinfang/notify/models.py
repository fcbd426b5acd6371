"""Where a petition's notices go (contact points) and what is waiting to be sent (the outbox)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinfang.core.fields import EncryptedTextField


class Medium(models.TextChoices):
    """How a notice travels: the channels a citizen can hear back on."""

    SMS = "sms", _("短信 SMS")
    EMAIL = "email", _("电子邮件 E-mail")
    WECHAT = "wechat", _("微信模板消息 WeChat")


class ContactRole(models.TextChoices):
    PETITIONER = "petitioner", _("信访人")
    PROXY = "proxy", _("代理人")


class ContactPoint(models.Model):
    """An address a channel learnt for a petition (the mail sender, the WeChat openid …).

    Recorded by the intake transaction that created the case, so a petition never exists
    without the address its channel promised to answer on. Addresses are personal data:
    encrypted, with a blind index for look-ups (an openid's or sender's other petitions).
    WeChat addresses are "<account code>/<openid>".
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="contact_points")
    medium = models.CharField(_("方式"), max_length=8, choices=Medium.choices)
    address = EncryptedTextField(_("地址"), context="contact.address")
    address_index = models.CharField(max_length=40, db_index=True, editable=False)
    role = models.CharField(
        _("身份"), max_length=12, choices=ContactRole.choices, default=ContactRole.PETITIONER
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "id"]
        verbose_name = _("联系方式")
        verbose_name_plural = _("联系方式")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "medium", "address_index"], name="contact_point_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.medium}"


class Audience(models.TextChoices):
    CITIZEN = "citizen", _("信访人")
    STAFF = "staff", _("工作人员")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    CANCELLED = "cancelled", _("已取消")


class Notification(models.Model):
    """One notice waiting in (or gone through) the transactional outbox.

    Written in the transaction of the case change that causes it (notify.services), so a
    notice exists if and only if its change committed; the worker delivers it afterwards with
    retries. `key` names the event, milestone and recipient: the same milestone of the same
    event is never queued twice for one address, and back-ends use it to drop repeated sends
    (the e-mail Message-ID is derived from it). The address and body are personal data and
    stored encrypted; `address_index` lets the outbox recognise the same recipient.
    """

    key = models.CharField(max_length=160, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="notifications")
    event = models.ForeignKey(
        "cases.CaseEvent", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    audience = models.CharField(_("对象"), max_length=8, choices=Audience.choices)
    medium = models.CharField(_("方式"), max_length=8, choices=Medium.choices)
    address = EncryptedTextField(_("地址"), context="notify.address")
    address_index = models.CharField(max_length=40, editable=False)
    contact_point = models.ForeignKey(
        ContactPoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        "orgs.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    template = models.CharField(_("通知事项"), max_length=32)
    language = models.CharField(_("语言"), max_length=8, default="zh-hans")
    subject = models.CharField(_("标题"), max_length=200)
    body = EncryptedTextField(_("内容"), context="notify.body")
    data = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    # Set when a worker claims the row; `claim` changes with every claim so a worker whose
    # claim was taken back (it ran past the stale timeout) cannot mark the row afterwards.
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    claim = models.CharField(max_length=32, blank=True, editable=False)
    last_error = models.TextField(_("最近错误"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [
            # The worker's query: due pending rows, oldest first.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="notify_due",
            ),
            models.Index(
                fields=["claimed_at"], condition=Q(status="sending"), name="notify_sending"
            ),
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["case", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.template} {self.medium} {self.status}"


class PreferredChannel(models.TextChoices):
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    WECHAT = "wechat", _("微信")
    NONE = "none", _("不接收（法定告知除外）")


class ChannelPreference(models.Model):
    """How a signed-in citizen wants to hear about their named petitions.

    Keyed by the phone's blind index (Petitioner.phone_index), the same key the citizens'
    portal signs in with: no account, no phone number stored. NONE still lets the notices the
    law requires (acceptance, forwarding, extension, reply …) through.
    """

    phone_index = models.CharField(max_length=40, unique=True)
    channel = models.CharField(_("接收方式"), max_length=8, choices=PreferredChannel.choices)
    language = models.CharField(_("语言"), max_length=8, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self) -> str:
        return f"{self.phone_index[:8]} {self.channel}"
