"""Where a petition's notices go (contact points) and what is waiting to be sent (the outbox)."""

from __future__ import annotations

from django.db import models
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
