"""Admin for official accounts: secrets are write-only (typed in, never shown back); the code
is fixed once the account exists."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from xinfang.wechat.models import WechatAccount

_SECRETS = ("app_secret", "token", "encoding_aes_key")


class WechatAccountForm(forms.ModelForm):
    """A blank secret field keeps the stored value, so editing the name never erases a key."""

    class Meta:
        model = WechatAccount
        fields = (
            "code",
            "name",
            "appid",
            "app_secret",
            "token",
            "encoding_aes_key",
            "compatible_mode",
            "region",
            "org",
            "templates",
            "is_active",
        )
        widgets = {name: forms.PasswordInput(render_value=False) for name in _SECRETS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in _SECRETS:
                self.fields[name].required = False
                self.fields[name].help_text = _("留空表示不修改。")

    def clean_encoding_aes_key(self) -> str:
        key: str = self.cleaned_data.get("encoding_aes_key") or ""
        if key and len(key.strip()) != 43:
            raise forms.ValidationError(_("EncodingAESKey 应为 43 个字符。"))
        return key.strip()

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if self.instance.pk:
            for name in _SECRETS:
                if not cleaned.get(name):
                    cleaned[name] = getattr(self.instance, name)
        return cleaned


@admin.register(WechatAccount)
class WechatAccountAdmin(admin.ModelAdmin):
    form = WechatAccountForm
    list_display = ("code", "name", "appid", "region", "org", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name", "appid")
    autocomplete_fields = ("region", "org")
    readonly_fields = ("server_url",)

    def get_readonly_fields(self, request: HttpRequest, obj: WechatAccount | None = None) -> Any:
        # Contact addresses are "<code>/<openid>": a renamed code would orphan every follower.
        fields = tuple(super().get_readonly_fields(request, obj))
        return ("code", *fields) if obj is not None else fields

    @admin.display(description=_("服务器地址（URL）"))
    def server_url(self, obj: WechatAccount) -> str:
        # The path under the site's public https address; WeChat needs the full URL.
        return reverse("wechat:callback", args=[obj.code]) if obj.pk else "—"
