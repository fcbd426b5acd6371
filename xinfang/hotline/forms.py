"""The entry screen's form and the import/export forms.

The call form checks only what the hotline adds (how the call is disposed of); the petition
itself is validated by intake, whose field errors the view puts under the same inputs.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from xinfang.cases.models import Case
from xinfang.catalog.models import Category
from xinfang.catalog.selectors import petition_type_list
from xinfang.hotline.models import Disposition
from xinfang.intake.text import title_derive
from xinfang.orgs.models import Org, Region
from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import StaffScope, bureau_for_region, region_get
from xinfang.workbench.forms import OrgField, nearby_orgs

ANSWER_MAX = 2000
NOTE_MAX = 2000
# Before the first line of a call saved without a title, when that line alone is too short to be
# one (stored data, so not translated).
CALL_TITLE = "热线来电"


def agent_regions(scope: StaffScope, province: str) -> QuerySet[Region]:
    """The city and counties an agent takes calls for: those of their units' cities."""
    cities = sorted({m.org.region.code[:4] for m in scope.memberships if m.org.region.code})
    qs = Region.objects.filter(level__in=(2, 3))
    if scope.see_all or not cities:
        return qs.filter(code__startswith=province)
    q = Q()
    for city in cities:
        q |= Q(code__startswith=city)
    return qs.filter(q)


def agent_orgs(scope: StaffScope, province: str) -> QuerySet[Org]:
    """The units a call can be dispatched to from the agent's cities (and province level)."""
    cities = sorted({m.org.region.code[:4] for m in scope.memberships if m.org.region.code})
    qs = Org.objects.filter(is_active=True).select_related("region")
    q = Q(region__code=f"{province}0000")
    for city in cities:
        q |= Q(region__code__startswith=city)
    return qs.order_by("code") if scope.see_all else qs.filter(q).order_by("code")


def registers_for(scope: StaffScope, bureau: Org) -> bool:
    """Whether the agent registers petitions at `bureau` (the case's registering organ)."""
    if scope.see_all:
        return True
    return any(m.org_id == bureau.pk and Perm.CASE_REGISTER in m.perms for m in scope.memberships)


def _attrs(key: str, **extra: str) -> dict[str, str]:
    return {"accesskey": key, **extra}


class CallForm(forms.Form):
    phone = forms.CharField(
        label=_("来电号码"),
        max_length=20,
        required=False,
        widget=forms.TextInput(
            attrs=_attrs("p", autofocus="autofocus", inputmode="tel", autocomplete="off")
        ),
    )
    name = forms.CharField(
        label=_("来电人"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs=_attrs("n", autocomplete="off")),
    )
    address = forms.CharField(
        label=_("联系地址"), max_length=200, required=False, widget=forms.TextInput()
    )
    petition_type = forms.ChoiceField(label=_("诉求类型"), widget=forms.Select(attrs=_attrs("t")))
    region_code = forms.ChoiceField(label=_("问题属地"), widget=forms.Select(attrs=_attrs("r")))
    content = forms.CharField(
        label=_("诉求内容"), widget=forms.Textarea(attrs=_attrs("c", rows="5"))
    )
    title = forms.CharField(label=_("标题（可不填，取内容开头）"), max_length=100, required=False)
    category_code = forms.ChoiceField(
        label=_("内容分类"), required=False, widget=forms.Select(attrs=_attrs("k"))
    )
    disposition = forms.ChoiceField(
        label=_("处理方式"),
        choices=[
            (Disposition.SAVED.value, _("保存，待登记")),
            (Disposition.DIRECT_ANSWER.value, _("直接答复")),
            (Disposition.DISPATCH.value, _("登记并派单")),
        ],
        initial=Disposition.SAVED.value,
        widget=forms.RadioSelect,
    )
    answer = forms.CharField(
        label=_("答复内容"),
        max_length=ANSWER_MAX,
        required=False,
        widget=forms.Textarea(attrs=_attrs("a", rows="3")),
    )
    to_org = OrgField(label=_("派往单位"), required=False)
    note = forms.CharField(label=_("派单说明"), max_length=NOTE_MAX, required=False)
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, scope: StaffScope, province: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["petition_type"].choices = [  # type: ignore[attr-defined]
            (t.code, t.label) for t in petition_type_list()
        ]
        self.fields["region_code"].choices = [  # type: ignore[attr-defined]
            (r.code, r.full_name or r.name) for r in agent_regions(scope, province)
        ]
        categories = Category.objects.filter(level=1, is_active=True).order_by("code")
        self.fields["category_code"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((c.code, c.name) for c in categories),
        ]
        to_org = self.fields["to_org"]
        assert isinstance(to_org, forms.ModelChoiceField)  # noqa: S101
        to_org.queryset = agent_orgs(scope, province)
        to_org.widget.attrs.update(_attrs("u"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        disposition = data.get("disposition")
        if disposition == Disposition.DIRECT_ANSWER and not data.get("answer", "").strip():
            self.add_error("answer", _("直接答复须填写答复内容。"))
        if disposition == Disposition.DISPATCH and not data.get("to_org"):
            self.add_error("to_org", _("派单须选择派往单位。"))
        region = region_get(code=data.get("region_code", ""))
        if region is None or disposition in (None, Disposition.SAVED):
            return data
        bureau = bureau_for_region(region=region)
        if bureau is not None and not registers_for(self.scope, bureau):
            self.add_error(
                "disposition",
                _("%(region)s的来电由%(bureau)s登记，本岗位只能保存，由其登记处理。")
                % {"region": region.name, "bureau": bureau.name},
            )
        org = data.get("to_org")
        # The workbench's forward form offers the units near the case; say so now rather than
        # after the call is saved.
        near = org is not None and nearby_orgs(Case(region=region)).filter(pk=org.pk).exists()
        if disposition == Disposition.DISPATCH and org is not None and not near:
            self.add_error("to_org", _("该单位不在问题属地所在市，不能派往。"))
        return data

    def petition_data(self) -> dict[str, Any]:
        """The call in intake's shape (the shape the API takes), from what was posted: intake
        validates it, also when this form found problems of its own."""

        def get(key: str) -> str:
            return str(self.data.get(key, "")).strip()

        content = get("content")
        data: dict[str, Any] = {
            "title": title_derive(subject=get("title"), body=content, fallback=CALL_TITLE),
            "content": content,
            "petition_type": get("petition_type"),
            "region_code": get("region_code"),
            "category_code": get("category_code"),
            "anonymous": not (get("name") or get("phone")),
            "consent_publish": False,  # not asked on the phone
        }
        if not data["anonymous"]:
            data["petitioner"] = {
                "name": get("name"),
                "phone": get("phone"),
                "address": get("address"),
            }
        return data


# A day's 12345 export is a few MB; anything far larger is better run with the command.
UPLOAD_MAX_BYTES = 50 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(label=_("工单文件（CSV 或 Excel .xlsx）"))
    mapping = forms.FileField(label=_("字段映射（JSON，可不选）"), required=False)
    dry_run = forms.BooleanField(label=_("仅检查，不导入"), required=False)
    partial = forms.BooleanField(label=_("导入无误的行（跳过有误的行）"), required=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("文件过大（上限 %(mb)s MB），请分批上传或用 hotline_import 命令导入。")
                % {"mb": UPLOAD_MAX_BYTES // (1024 * 1024)}
            )
        return upload


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("格式"), choices=[("xlsx", "Excel .xlsx"), ("csv", "CSV")], initial="xlsx"
    )
    since = forms.DateField(label=_("来电日期自"), required=False)
    until = forms.DateField(label=_("至（不含）"), required=False)
