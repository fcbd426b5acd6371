"""Forms of the workbench actions. The same forms validate the HTML workbench and the JSON API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinfang.cases.models import Case, Outcome
from xinfang.cases.workflow import CaseStatus, NotAcceptRule
from xinfang.catalog.models import Category
from xinfang.documents.choices import DivertChannel, ReviewOutcome
from xinfang.handling.models import RevisitOutcome, SupervisionLevel
from xinfang.orgs.models import Membership, Org, OrgKind, Region, User

TEXT = forms.Textarea(attrs={"rows": 3})


class OrgField(forms.ModelChoiceField):
    """A unit chosen by its code; the list offers the units near the case."""

    def __init__(self, **kwargs: Any) -> None:
        # data-filter: workbench.js adds a search box, since a city has hundreds of units.
        kwargs.setdefault("widget", forms.Select(attrs={"data-filter": "1"}))
        super().__init__(
            queryset=Org.objects.filter(is_active=True), to_field_name="code", **kwargs
        )

    def label_from_instance(self, obj: Org) -> str:
        return f"{obj.name}（{obj.code}）"


def nearby_orgs(case: Case) -> Any:
    """Units of the case's city (and the province level), for the routing pickers."""
    city = case.region.code[:4]
    province = case.region.code[:2]
    return (
        Org.objects.filter(is_active=True)
        .filter(Q(region__code__startswith=city) | Q(region__code=f"{province}0000"))
        .order_by("code")
    )


class CaseForm(forms.Form):
    """A form bound to a case: org pickers list units near it."""

    org_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        for name in self.org_fields:
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
            field.queryset = nearby_orgs(case)


class EmptyForm(CaseForm):
    pass


class NoteForm(CaseForm):
    note = forms.CharField(label=_("说明"), widget=TEXT, required=False, max_length=2000)


class ForwardForm(CaseForm):
    org_fields = ("to_org", "co_orgs")
    to_org = OrgField(label=_("主办单位"))
    co_orgs = forms.ModelMultipleChoiceField(
        label=_("协办单位"),
        queryset=Org.objects.none(),
        to_field_name="code",
        required=False,
        widget=forms.SelectMultiple(attrs={"data-filter": "1", "size": "6"}),
    )
    assign = forms.BooleanField(label=_("交办（要求报送办结报告）"), required=False)
    report_due = forms.DateField(label=_("办结报告期限"), required=False)
    reason = forms.CharField(label=_("转送/交办说明"), widget=TEXT, required=False, max_length=2000)
    override_reason = forms.CharField(
        label=_("纪检监察例外理由"), widget=TEXT, required=False, max_length=2000
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("assign") and not data.get("report_due"):
            self.add_error("report_due", _("交办件须设定办结报告期限。"))
        return data


class NotAcceptForm(CaseForm):
    outcome = forms.ChoiceField(
        label=_("处理方式"),
        choices=[
            (CaseStatus.NOTIFIED_REDIRECT.value, _("告知向有权机关提出")),
            (CaseStatus.DIVERTED.value, _("导入法定程序")),
            (CaseStatus.NOT_ACCEPTED_REPEAT.value, _("不予受理（重复/越级/复核后）")),
        ],
    )
    rule = forms.ChoiceField(label=_("依据情形"), choices=[("", "—"), *NotAcceptRule.choices])
    reason = forms.CharField(label=_("理由"), widget=TEXT, max_length=2000)
    channel = forms.ChoiceField(
        label=_("法定途径"), choices=[("", "—"), *DivertChannel.choices], required=False
    )
    target_org_name = forms.CharField(label=_("有权处理机关"), required=False, max_length=200)
    repeat_of = forms.CharField(label=_("在先信访件编号"), required=False, max_length=40)

    def clean_repeat_of(self) -> Case | None:
        number = self.cleaned_data.get("repeat_of", "").strip()
        if not number:
            return None
        earlier = Case.objects.filter(item_number=number).exclude(pk=self.case.pk).first()
        if earlier is None:
            raise forms.ValidationError(_("找不到该信访件编号。"))
        return earlier


class AccusedForm(CaseForm):
    org_fields = ("org",)
    org = OrgField(label=_("被反映单位"))


class ClassifyForm(CaseForm):
    category = forms.ModelChoiceField(
        label=_("内容分类"),
        queryset=Category.objects.filter(is_active=True).order_by("code"),
        to_field_name="code",
        widget=forms.Select(attrs={"data-filter": "1"}),
    )
    region = forms.CharField(label=_("问题属地（区划代码）"), required=False, max_length=12)

    def clean_region(self) -> Region | None:
        code = self.cleaned_data.get("region", "").strip()
        if not code:
            return None
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise forms.ValidationError(_("没有这个区划代码。"))
        return region


class RepeatForm(CaseForm):
    earlier = forms.CharField(label=_("在先信访件编号"), max_length=40)


class GroupForm(CaseForm):
    into = forms.CharField(label=_("相同事项的信访件编号"), max_length=40)


class MergeForm(GroupForm):
    reason = forms.CharField(label=_("说明"), widget=TEXT, required=False, max_length=2000)


class TransferForm(CaseForm):
    to_org = OrgField(label=_("纪检监察机关"))
    reason = forms.CharField(label=_("说明"), widget=TEXT, required=False, max_length=2000)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, case=case, **kwargs)
        field = self.fields["to_org"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = Org.objects.filter(is_active=True, kind=OrgKind.DISCIPLINE)


class ReplyTextForm(CaseForm):
    reply = forms.CharField(label=_("答复内容"), widget=TEXT, max_length=5000)


class AcceptForm(CaseForm):
    handler = forms.ModelChoiceField(
        label=_("承办人"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, case=case, **kwargs)
        unit = case.lead_org_id or case.register_org_id
        people = Membership.objects.filter(org_id=unit, is_active=True).values("user_id")
        field = self.fields["handler"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = User.objects.filter(pk__in=people, is_active=True).order_by("username")


class HandlerForm(AcceptForm):
    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, case=case, **kwargs)
        self.fields["handler"].required = True


class ObjectForm(CaseForm):
    org_fields = ("suggested_org",)
    reason = forms.CharField(label=_("异议理由及依据"), widget=TEXT, max_length=2000)
    suggested_org = OrgField(label=_("建议承办单位"), required=False)


class ObjectionDecideForm(CaseForm):
    org_fields = ("new_org",)
    agree = forms.TypedChoiceField(
        label=_("审核意见"),
        choices=[("1", _("同意异议，改派")), ("0", _("不同意，退回原单位办理"))],
        coerce=lambda v: v == "1",
    )
    new_org = OrgField(label=_("改派单位"), required=False)
    reason = forms.CharField(label=_("理由"), widget=TEXT, required=False, max_length=2000)


class SubdispatchForm(CaseForm):
    to_org = OrgField(label=_("下级承办单位"))
    note = forms.CharField(label=_("说明"), widget=TEXT, required=False, max_length=2000)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, case=case, **kwargs)
        lead = case.lead_org
        field = self.fields["to_org"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = (
            Org.objects.filter(path__startswith=lead.path).exclude(pk=lead.pk)
            if lead
            else Org.objects.none()
        )


class ExtensionForm(CaseForm):
    days = forms.IntegerField(label=_("延期天数"), min_value=1, max_value=30)
    reason = forms.CharField(label=_("延期理由"), widget=TEXT, max_length=2000)


class OpinionForm(CaseForm):
    request = forms.CharField(label=_("信访请求"), widget=TEXT, max_length=5000)
    facts = forms.CharField(label=_("查明的事实"), widget=TEXT, max_length=5000)
    reasons = forms.CharField(label=_("处理理由"), widget=TEXT, max_length=5000)
    outcome = forms.ChoiceField(label=_("处理结果"), choices=Outcome.choices)
    legal_basis = forms.CharField(label=_("法律依据"), widget=TEXT, max_length=2000)
    opinion = forms.CharField(label=_("具体处理意见"), widget=TEXT, required=False, max_length=5000)


class ReviewOpinionForm(OpinionForm):
    outcome = forms.ChoiceField(label=_("结论"), choices=ReviewOutcome.choices)


class DecideForm(CaseForm):
    approve = forms.TypedChoiceField(
        label=_("审批意见"),
        choices=[("1", _("同意")), ("0", _("退回修改"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label=_("审批说明"), widget=TEXT, required=False, max_length=2000)


class ServiceForm(CaseForm):
    served_on = forms.DateField(label=_("送达日期"), widget=forms.DateInput(attrs={"type": "date"}))


class ReportForm(CaseForm):
    report = forms.CharField(label=_("办结报告"), widget=TEXT, max_length=5000)


class PaperRequestForm(CaseForm):
    reason = forms.CharField(label=_("申请理由（照录书面申请）"), widget=TEXT, max_length=2000)
    late_reason = forms.CharField(
        label=_("逾期的正当理由（期限内提出的不填）"), widget=TEXT, required=False, max_length=2000
    )


class ReasonForm(CaseForm):
    reason = forms.CharField(label=_("理由"), widget=TEXT, max_length=2000)


class SuperviseForm(CaseForm):
    org_fields = ("target_org",)
    level = forms.TypedChoiceField(
        label=_("督办类别"), choices=SupervisionLevel.choices, coerce=int
    )
    target_org = OrgField(label=_("被督办单位"))
    problem = forms.CharField(label=_("督办事由"), widget=TEXT, max_length=2000)


class FeedbackForm(CaseForm):
    feedback = forms.CharField(label=_("书面反馈"), widget=TEXT, max_length=5000)


class RevisitForm(CaseForm):
    # No default: 重新办理 reopens the case, so the agent must choose it deliberately.
    outcome = forms.ChoiceField(label=_("回访结果"), choices=[("", "—"), *RevisitOutcome.choices])
    note = forms.CharField(label=_("回访情况"), widget=TEXT, max_length=2000)
