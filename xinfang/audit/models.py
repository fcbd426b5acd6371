from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    """What can be audited. A new kind of audited act is added here, never as a bare string."""

    CASE_TRANSITION = "case.transition", _("信访件状态变更")
    CASE_ACTION = "case.action", _("信访件办理操作")
    CASE_VIEW = "case.view", _("查看信访件")
    IDENTITY_REVEAL = "identity.reveal", _("查看信访人身份信息")
    IDENTITY_EXPORT = "identity.export", _("导出信访人身份信息")
    DOCUMENT_ISSUE = "document.issue", _("出具文书")
    CREDENTIAL_ISSUE = "credential.issue", _("签发接口凭据")
    CREDENTIAL_REVOKE = "credential.revoke", _("停用接口凭据")
    AUTH_LOGIN = "auth.login", _("登录")
    AUTH_LOGIN_FAILED = "auth.login_failed", _("登录失败")
    AUTH_OTP_FAILED = "auth.otp_failed", _("动态验证码错误")
    AUTH_OTP_ENROLLED = "auth.otp_enrolled", _("设置动态验证码")
    AUTH_LOGOUT = "auth.logout", _("退出登录")


class AuditEntry(models.Model):
    """One audited act, chained to the one before it (DESIGN invariant 7, DOMAIN P-1(d), P-2).

    Rows are appended by `audit.services.audit_record` only and never updated or deleted: `hash`
    covers every other column and `prev_hash` is the previous row's `hash`, so
    `manage.py verify_audit` finds any edit, removal or reordering. Actors are PROTECTed
    because nulling them on delete would itself rewrite the chain.
    """

    seq = models.BigIntegerField(_("序号"), unique=True, editable=False)
    created_at = models.DateTimeField(_("时间"), editable=False)
    actor = models.ForeignKey(
        "orgs.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_org = models.ForeignKey(
        "orgs.Org",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作单位"),
    )
    action = models.CharField(_("操作"), max_length=64, choices=AuditAction.choices)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        constraints = [
            models.CheckConstraint(condition=Q(seq__gte=1), name="audit_seq_positive"),
        ]
        indexes = [
            models.Index(fields=["action", "created_at"], name="audit_action_time"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["created_at"], name="audit_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"
