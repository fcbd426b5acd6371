from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    # One message for an unknown user, a wrong password and a disabled account: the form must
    # not tell which usernames exist.
    error_messages = {
        "invalid_login": _("用户名或密码不正确。"),
        "inactive": _("用户名或密码不正确。"),
    }


class TokenForm(forms.Form):
    # Six digits from an authenticator app, or a backup code an administrator issued.
    token = forms.CharField(label=_("动态验证码"), max_length=20)

    def clean_token(self) -> str:
        return "".join(self.cleaned_data["token"].split())
