"""The dashboard's GET parameters: the period picker and the slice filters, in and out.

One form serves the dashboard, its exports and the drill-down list, so a link from a figure
carries exactly the period and slice the figure was computed over. Period ends are exclusive
internally ([start, end)) and inclusive on screen: "1 to 31 March" is what people type.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Self
from urllib.parse import urlencode

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.cases.models import Channel
from xinfang.catalog.models import Category, PetitionType
from xinfang.core.errors import Msg

MAX_CUSTOM_DAYS = 366 * 5  # a custom period spans at most five years
FIRST_YEAR = 2000


class PeriodKind:
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    CUSTOM = "custom"


PERIOD_CHOICES = [
    (PeriodKind.MONTH, _("月度")),
    (PeriodKind.QUARTER, _("季度")),
    (PeriodKind.YEAR, _("年度")),
    (PeriodKind.CUSTOM, _("自定义")),
]
# Which period kinds use which fields (the others are left out of links).
PERIOD_FIELDS = {
    "year": (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR),
    "quarter": (PeriodKind.QUARTER,),
    "month": (PeriodKind.MONTH,),
    "start": (PeriodKind.CUSTOM,),
    "end": (PeriodKind.CUSTOM,),
}
# The parameters that say which period and slice a page shows (and nothing else), in the
# order links carry them.
SCOPE_PARAMS = (
    "period",
    "year",
    "quarter",
    "month",
    "start",
    "end",
    "region",
    "org",
    "category",
    "channel",
    "type",
)


@dataclass(frozen=True, slots=True)
class Chosen:
    """What the form resolved: [start, end) and the filters, all validated."""

    start: date
    end: date  # exclusive
    kind: str
    region: str
    org: int | None
    category: int | None
    channel: str
    petition_type: str


def _default_year() -> int:
    return timezone.localdate().year


class DashboardForm(forms.Form):
    period = forms.ChoiceField(label=_("统计周期"), choices=PERIOD_CHOICES, required=False)
    year = forms.IntegerField(label=_("年份"), min_value=FIRST_YEAR, max_value=2100, required=False)
    quarter = forms.IntegerField(label=_("季度"), min_value=1, max_value=4, required=False)
    month = forms.IntegerField(label=_("月份"), min_value=1, max_value=12, required=False)
    start = forms.DateField(label=_("开始日期"), required=False)
    end = forms.DateField(label=_("结束日期"), required=False)
    region = forms.RegexField(label=_("区划代码"), regex=r"^\d{6}(\d{3})?$", required=False)
    org = forms.IntegerField(label=_("单位"), min_value=1, required=False)
    category = forms.TypedChoiceField(
        label=_("内容分类"), coerce=int, empty_value=None, required=False
    )
    channel = forms.ChoiceField(
        label=_("渠道"), choices=[("", _("全部")), *Channel.choices], required=False
    )
    type = forms.ChoiceField(label=_("类型"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = PetitionType.objects.filter(is_active=True).order_by("sort_order", "code")
        field = self.fields["type"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101  (declared above)
        field.choices = [("", _("全部")), *((t.code, t.name) for t in types)]
        tops = Category.objects.filter(level=1).order_by("code").values_list("pk", "name")
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)  # noqa: S101
        category.choices = [("", _("全部")), *((str(pk), name) for pk, name in tops)]

    @classmethod
    def from_get(cls, get: QueryDict) -> Self:
        """Bound to the request's parameters, with the default period (this year, or the
        current month / quarter of the kind chosen) filled in, so the picker shows it."""
        data = get.copy()
        today = timezone.localdate()
        data.setdefault("period", PeriodKind.YEAR)
        if data["period"] != PeriodKind.CUSTOM:
            data.setdefault("year", str(today.year))
        if data["period"] == PeriodKind.MONTH:
            data.setdefault("month", str(today.month))
        if data["period"] == PeriodKind.QUARTER:
            data.setdefault("quarter", str((today.month + 2) // 3))
        return cls(data)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        kind = data.get("period") or PeriodKind.YEAR
        data["period"] = kind
        if kind == PeriodKind.CUSTOM:
            self._clean_custom(data)
        else:
            data["year"] = data.get("year") or _default_year()
            if kind == PeriodKind.MONTH:
                data["month"] = data.get("month") or timezone.localdate().month
            if kind == PeriodKind.QUARTER:
                data["quarter"] = data.get("quarter") or (timezone.localdate().month + 2) // 3
        return data

    def _clean_custom(self, data: dict[str, Any]) -> None:
        start, end = data.get("start"), data.get("end")
        if start is None:
            self.add_error("start", str(Msg("自定义周期须填写开始日期。", "Enter a start date.")))
        if end is None:
            self.add_error("end", str(Msg("自定义周期须填写结束日期。", "Enter an end date.")))
        if start is None or end is None:
            return
        if end < start:
            self.add_error(
                "end",
                str(Msg("结束日期不能早于开始日期。", "The end date is before the start date.")),
            )
        elif (end - start).days >= MAX_CUSTOM_DAYS:
            self.add_error(
                "end", str(Msg("自定义周期最长五年。", "A custom period spans at most five years."))
            )

    def chosen(self) -> Chosen:
        """The validated choice; call after is_valid()."""
        d = self.cleaned_data
        start, end = period_bounds(
            d["period"],
            year=d.get("year"),
            quarter=d.get("quarter"),
            month=d.get("month"),
            start=d.get("start"),
            end=d.get("end"),
        )
        return Chosen(
            start=start,
            end=end,
            kind=d["period"],
            region=d.get("region") or "",
            org=d.get("org"),
            category=d.get("category"),
            channel=d.get("channel") or "",
            petition_type=d.get("type") or "",
        )

    def params(self, **override: object) -> dict[str, str]:
        """The page's period and slice as GET parameters (validated values only), with
        `override` applied (None removes a parameter): what links to other views carry."""
        d = dict(self.cleaned_data) if self.is_bound and self.is_valid() else {}
        kind = override.get("period", d.get("period"))
        for name, kinds in PERIOD_FIELDS.items():
            if kind not in kinds:  # e.g. a month number on a yearly view
                d.pop(name, None)
        out: dict[str, str] = {}
        for name in SCOPE_PARAMS:
            value = override[name] if name in override else d.get(name)
            if value not in (None, ""):
                out[name] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    def querystring(self, **override: object) -> str:
        return urlencode(self.params(**override))


def period_bounds(
    kind: str,
    *,
    year: int | None = None,
    quarter: int | None = None,
    month: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> tuple[date, date]:
    """[start, end) of a month, quarter, year or custom period (custom `end` is inclusive)."""
    if kind == PeriodKind.CUSTOM:
        if start is None or end is None:
            raise ValueError("a custom period needs both dates")
        return start, end + timedelta(days=1)
    y = year or _default_year()
    if kind == PeriodKind.MONTH:
        m = month or 1
        return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1]) + timedelta(days=1)
    if kind == PeriodKind.QUARTER:
        q = quarter or 1
        first = date(y, 3 * q - 2, 1)
        return first, date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1)
    return date(y, 1, 1), date(y + 1, 1, 1)


class CasesForm(DashboardForm):
    """The drill-down list: which KPI's numerator or denominator, over the same period and
    slice as the figure the user clicked."""

    kpi = forms.RegexField(label=_("指标"), regex=r"^[A-Za-z0-9_-]{1,24}$")
    part = forms.ChoiceField(
        label=_("部分"), choices=[("num", _("分子")), ("den", _("分母"))], required=False
    )
    # The online-share figure: the received petitions of the online channels only.
    online = forms.BooleanField(label=_("仅网上渠道"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["part"] = data.get("part") or "den"
        return data
