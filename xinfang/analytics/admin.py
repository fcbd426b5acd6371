"""Admin screens: assessment schemes (weights as data, DESIGN invariant 8) and KPI exclusions.

Exclusions are created through analytics.services (audited, and the case's figures refreshed);
they cannot be edited or deleted here — removal, with its reason, is exclusion_remove's job.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from xinfang.analytics.kpis import KPIS
from xinfang.analytics.models import AssessmentScheme, Exclusion, ExclusionCode
from xinfang.analytics.services import exclusion_add
from xinfang.cases.models import Case


class SchemeForm(forms.ModelForm):
    class Meta:
        model = AssessmentScheme
        fields = (
            "name",
            "region",
            "unit_kind",
            "indicators",
            "min_volume",
            "k7_variant",
            "k7_basic_weight",
            "is_active",
        )

    def clean_indicators(self) -> dict[str, float]:
        value = self.cleaned_data["indicators"]
        if not isinstance(value, dict) or not value:
            raise forms.ValidationError(_('请填写指标与权重，例如 {"K2": 40, "K7": 60}。'))
        out: dict[str, float] = {}
        for kpi, weight in value.items():
            if kpi not in KPIS or not KPIS[kpi].available:
                raise forms.ValidationError(_("无此指标：%(kpi)s"), params={"kpi": kpi})
            if not isinstance(weight, int | float) or weight <= 0:
                raise forms.ValidationError(_("权重须为正数：%(kpi)s"), params={"kpi": kpi})
            out[kpi] = float(weight)
        return out


@admin.register(AssessmentScheme)
class AssessmentSchemeAdmin(admin.ModelAdmin):
    form = SchemeForm
    list_display = ("name", "region", "unit_kind", "min_volume", "k7_variant", "is_active")
    list_filter = ("is_active", "k7_variant")
    autocomplete_fields = ("region",)


class ExclusionForm(forms.ModelForm):
    item_number = forms.CharField(label=_("信访件编号"), max_length=40)
    kpi = forms.ChoiceField(
        label=_("指标"),
        choices=[("*", _("全部指标"))]
        + [(k, f"{k} {d.label}") for k, d in KPIS.items() if d.available],
    )

    class Meta:
        model = Exclusion
        fields = ("kpi", "code", "reason")

    def clean_item_number(self) -> Case:
        case = Case.objects.filter(item_number=self.cleaned_data["item_number"].strip()).first()
        if case is None:
            raise forms.ValidationError(_("未找到该信访件。"))
        return case

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        case, kpi = data.get("item_number"), data.get("kpi")
        if case is not None and Exclusion.objects.filter(case=case, kpi=kpi).exists():
            raise forms.ValidationError(_("该信访件已在此指标中排除。"))
        return data


@admin.register(Exclusion)
class ExclusionAdmin(admin.ModelAdmin):
    form = ExclusionForm
    list_display = ("case", "kpi", "code", "actor", "created_at")
    list_filter = ("code", "kpi")
    search_fields = ("case__item_number",)
    readonly_fields = ("actor", "created_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Exclusion, form: Any, change: bool) -> None:
        saved = exclusion_add(
            case=form.cleaned_data["item_number"],
            kpi=form.cleaned_data["kpi"],
            code=form.cleaned_data["code"] or ExclusionCode.OTHER,
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
        obj.pk, obj.case, obj.actor = saved.pk, saved.case, saved.actor
