"""Forms of the moderation queue: they only check shapes; the services check the rest."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ApproveForm(forms.Form):
    """The redacted proposal as the moderator may edit it before publishing."""

    title = forms.CharField(label=_("标题"), max_length=200)
    content = forms.CharField(label=_("诉求（已脱敏）"), widget=forms.Textarea(attrs={"rows": 10}))
    reply = forms.CharField(
        label=_("答复（已脱敏）"), required=False, widget=forms.Textarea(attrs={"rows": 10})
    )
    note = forms.CharField(label=_("审核说明"), max_length=500, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
