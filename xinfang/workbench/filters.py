"""The queue filter form: GET parameters in, a typed QueueFilter out."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from xinfang.cases.models import Channel
from xinfang.catalog.models import PetitionType
from xinfang.handling.selectors import QueueFilter


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    region = forms.RegexField(label=_("区划代码"), regex=r"^\d{2,9}$", required=False)
    category = forms.RegexField(label=_("分类代码"), regex=r"^\d{2,6}$", required=False)
    petition_type = forms.ChoiceField(label=_("类型"), required=False)
    channel = forms.ChoiceField(
        label=_("渠道"), choices=[("", "—"), *Channel.choices], required=False
    )
    flag = forms.ChoiceField(
        label=_("标记"),
        required=False,
        choices=[
            ("", "—"),
            ("urgent", _("重大紧急")),
            ("fast", _("简易办理")),
            ("supervised", _("督办件")),
            ("anonymous", _("匿名")),
            ("collective", _("集体/联名")),
        ],
    )
    received_from = forms.DateField(label=_("收到自"), required=False)
    received_to = forms.DateField(label=_("收到至"), required=False)
    sort = forms.ChoiceField(
        label=_("排序"),
        required=False,
        choices=[
            ("due", _("按到期时间")),
            ("-received", _("最新收到")),
            ("received", _("最早收到")),
        ],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        types = PetitionType.objects.filter(is_active=True).order_by("sort_order")
        field = self.fields["petition_type"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101
        field.choices = [("", "—"), *((t.code, t.name) for t in types)]

    def to_filter(self) -> QueueFilter:
        if not self.is_bound or not self.is_valid():
            return QueueFilter()
        d = self.cleaned_data
        return QueueFilter(
            region=d["region"] or "",
            category=d["category"] or "",
            petition_type=d["petition_type"] or "",
            channel=d["channel"] or "",
            flag=d["flag"] or "",
            received_from=d["received_from"],
            received_to=d["received_to"],
            q=d["q"] or "",
            sort=d["sort"] or "due",
        )

    def querystring(self) -> str:
        if not self.is_bound or not self.is_valid():
            return ""
        pairs = {k: v for k, v in self.data.items() if k != "page" and v}
        return urlencode(pairs)
