"""WeChat official accounts, the per-follower conversation, and the deliveries already answered."""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.core.fields import EncryptedTextField


class WechatAccount(models.Model):
    """One official account (公众号) of a region or bureau, with its server credentials.

    `code` names the account in the callback URL (/wechat/<code>/) and in contact addresses
    ("<code>/<openid>"), so it never changes once created. With an EncodingAESKey the account
    takes only encrypted messages (safe mode) unless `compatible_mode` also admits plaintext.
    The app secret, the server token and the EncodingAESKey are encrypted at rest. `templates`
    maps a notice milestone (received, accepted, replied …) to the template id chosen in the
    account's template library.
    """

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    appid = models.CharField(_("AppID"), max_length=32, unique=True)
    app_secret = EncryptedTextField(_("AppSecret"), context="wechat.app_secret")
    token = EncryptedTextField(_("令牌（Token）"), context="wechat.token")
    encoding_aes_key = EncryptedTextField(
        _("消息加解密密钥（EncodingAESKey）"),
        context="wechat.aes_key",
        blank=True,
        help_text=_("安全模式或兼容模式必填，43个字符；明文模式可留空。"),
    )
    compatible_mode = models.BooleanField(
        _("兼容模式"),
        default=False,
        help_text=_(
            "仅当微信后台选择了“兼容模式”时勾选：同时接受明文消息。"
            "填写了 EncodingAESKey 而未勾选时为安全模式，明文消息一律拒绝。"
        ),
    )
    region = models.ForeignKey(
        "orgs.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属地区")
    )
    org = models.ForeignKey(
        "orgs.Org",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("所属机构"),
    )
    templates = models.JSONField(
        _("模板消息"),
        default=dict,
        blank=True,
        help_text=_('各节点的模板 ID，例如 {"received": "模板ID", "replied": "模板ID"}。'),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("微信公众号")
        verbose_name_plural = _("微信公众号")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Step(models.TextChoices):
    """Where a follower is in the guided petition conversation."""

    IDLE = "idle", _("空闲")
    TYPE = "type", _("选择类型")
    TITLE = "title", _("填写标题")
    CONTENT = "content", _("填写内容")
    REGION = "region", _("选择属地")
    IDENTITY = "identity", _("填写身份")
    IMAGES = "images", _("上传图片")
    CONFIRM = "confirm", _("确认提交")


class Conversation(models.Model):
    """The petition a follower is composing by messages, one row per account and openid.

    `draft` holds the answers so far (title, content, region code, name, phone, anonymous),
    encrypted at rest like all personal data; images wait in DraftImage. `version` makes every
    step a compare-and-set, so two messages handled at once cannot both advance the same step.
    """

    account = models.ForeignKey(WechatAccount, on_delete=models.CASCADE, related_name="+")
    openid = models.CharField(max_length=64)
    step = models.CharField(max_length=12, choices=Step.choices, default=Step.IDLE)
    draft_json = EncryptedTextField(blank=True, default="", context="wechat.draft")
    version = models.PositiveIntegerField(default=0)
    subscribed = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "openid"], name="wechat_conversation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.openid} {self.step}"

    @property
    def draft(self) -> dict[str, Any]:
        return dict(json.loads(self.draft_json)) if self.draft_json else {}

    @draft.setter
    def draft(self, value: dict[str, Any]) -> None:
        self.draft_json = json.dumps(value, ensure_ascii=False) if value else ""


class DraftImage(models.Model):
    """An image sent during the conversation, downloaded at once (WeChat keeps media 3 days)
    and checked like any upload; it becomes an attachment on confirm and is deleted then."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="images")
    media_id = models.CharField(max_length=128)
    name = models.CharField(max_length=100)
    content_type = models.CharField(max_length=64)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """A message or event already handled, and the reply it got.

    WeChat redelivers a message it got no answer to within 5 s (up to three times, same MsgId;
    events carry no MsgId, so FromUserName + CreateTime name them). The unique key is inserted in
    the same transaction as the step the message causes, so a redelivery neither advances the
    conversation again nor makes a second petition; it gets the stored reply. The reply may
    carry an anonymous petition's tracking secret, hence encrypted.
    """

    account = models.ForeignKey(WechatAccount, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    reply = EncryptedTextField(blank=True, context="wechat.reply")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "key"], name="wechat_delivery_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.key}"
