"""Leader mailboxes (省长信箱, 市长信箱 …) and the mails that became petitions."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Mailbox(models.Model):
    """An e-mail address citizens write to, and where its petitions go.

    Mail to `address` becomes a petition of `petition_type` in `region` (the sender cannot pick
    them). `owner_org`, the unit the mailbox belongs to (a 省长信箱's provincial government),
    registers the petitions when it is a unit that registers what it receives; otherwise the
    petition bureau of `region` does (mailbox.services.register_org). The owner is recorded on
    each message either way, so whoever registers knows whose mailbox it came through.
    """

    address = models.EmailField(_("邮箱地址"), help_text=_("例如 shengzhang@xf.hunan.gov.cn"))
    name = models.CharField(_("信箱名称"), max_length=64, help_text=_("例如 省长信箱"))
    owner_org = models.ForeignKey(
        "orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属单位")
    )
    region = models.ForeignKey(
        "orgs.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("问题属地")
    )
    petition_type = models.ForeignKey(
        "catalog.PetitionType",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("默认信访类型"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["address"]
        verbose_name = _("领导信箱")
        verbose_name_plural = _("领导信箱")
        # Mail addresses are matched without regard to case: one mailbox per spelling.
        constraints = [models.UniqueConstraint(Lower("address"), name="mailbox_address_ci")]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class MailboxMessage(models.Model):
    """One mail that became a petition: through which mailbox, and what was left out.

    Written in the intake transaction, so it exists exactly when the case does. `skipped`
    lists attachments that were not kept ({"name", "reason"}); the sender's address is not
    here but in the case's e-mail contact point (encrypted). `mail_digest` (SHA-256 of the raw
    mail) tells a redelivery of this mail from another mail under the same Message-ID.
    """

    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.PROTECT, related_name="messages", verbose_name=_("信箱")
    )
    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="mailbox_message"
    )
    owner_org = models.ForeignKey(
        "orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属单位")
    )
    message_key = models.CharField(_("邮件标识"), max_length=128)
    mail_digest = models.CharField(_("邮件摘要"), max_length=64)
    skipped = models.JSONField(_("未收录的附件"), default=list, blank=True)
    via = models.CharField(_("接收方式"), max_length=8)  # "smtp" or "imap"
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("信箱来信")
        verbose_name_plural = _("信箱来信")

    def __str__(self) -> str:
        return self.message_key
