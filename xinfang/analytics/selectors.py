"""Reads of the analytics: KPI summaries, breakdowns, volume series, drill-downs to cases and
the assessment table. Everything is read from the rollup tables (KpiRollup and its reduced
forms AreaRollup, UnitRollup and MarginRollup) or, for the cases behind a figure, from the
per-case facts — never by scanning petitions per request.

Periods are half-open ranges of local (Asia/Shanghai) dates [start, end). A period is read as
its whole months (month rows) plus the days at its edges (day rows), so any range works and a
year costs twelve month buckets.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Substr

from xinfang.analytics.kpis import KPI_IDS, KPIS, kpi_rate, satisfaction_variant
from xinfang.analytics.models import (
    MARGIN_DIMS,
    PART_ORG,
    PARTS,
    AreaRollup,
    CaseFact,
    Grain,
    KpiRollup,
    MarginRollup,
    RollupSums,
    UnitRollup,
)
from xinfang.cases.models import Case, Channel
from xinfang.cases.selectors import case_list_for_user
from xinfang.catalog.models import Category, PetitionType
from xinfang.orgs.models import Org, Region
from xinfang.orgs.selectors import region_prefix

__all__ = [
    "BREAKDOWN_BY",
    "KPI_IDS",
    "AssessmentRow",
    "BreakdownRow",
    "KpiValue",
    "Period",
    "SeriesPoint",
    "Slice",
    "assessment_table",
    "kpi_breakdown",
    "kpi_cases",
    "kpi_summary",
    "volume_series",
]

BREAKDOWN_BY: tuple[str, ...] = ("unit", "region", "category", "channel", "type", "month")
SERIES_BY: tuple[str, ...] = ("channel", "region", "category", "type", "unit", "total")
GRAINS: tuple[str, ...] = ("day", "week", "month")
SUM_COLUMNS: tuple[str, ...] = tuple(f"{p}_{x}" for p in PARTS for x in ("num", "den"))


@dataclass(frozen=True)
class Period:
    """[start, end) in local dates."""

    start: date
    end: date

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        last = calendar.monthrange(year, month)[1]
        return cls(date(year, month, 1), date(year, month, last) + timedelta(days=1))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year + 1, 1, 1))


@dataclass(frozen=True)
class Slice:
    """Optional filters. region_code: any division code (its whole subtree); org_id: the unit
    credited; category_id: a first-level category; channel: Channel value; petition_type:
    PetitionType.code."""

    region_code: str = ""
    org_id: int | None = None
    category_id: int | None = None
    channel: str = ""
    petition_type: str = ""


@dataclass(frozen=True)
class KpiValue:
    kpi: str
    num: int
    den: int
    rate: float | None  # None when den == 0 (and for count indicators)


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    label: str
    volume: int
    kpis: dict[str, KpiValue]


@dataclass(frozen=True)
class SeriesPoint:
    bucket: date
    key: str
    count: int


@dataclass(frozen=True)
class AssessmentRow:
    """One unit in a 考核 table. `rank` is None for units below the minimum volume (listed
    apart). Each KPI figure links to kpi_cases(kpi=…, slice=Slice(org_id=org_id))."""

    org_id: int
    org_name: str
    volume: int
    kpis: dict[str, KpiValue]
    score: float | None
    rank: int | None
    ranked: bool
    weights: dict[str, float] = field(default_factory=dict)


# --- periods and slices ------------------------------------------------------------------


def _next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def _days(start: date, end: date) -> Q:
    return Q(grain=Grain.DAY, bucket__gte=start, bucket__lt=end)


def period_split(period: Period) -> tuple[Q, Q | None]:
    """(rows to add, rows to take away, or None) covering exactly [start, end): whole months
    as month rows; a month the period covers in part as its day rows inside the period or,
    when fewer, its month row less its day rows outside — a year to 27 November reads three
    day rows per key for November instead of 27 (month rows equal the sum of their days)."""
    months: list[date] = []
    plus: list[Q] = []
    minus: list[Q] = []
    month = period.start.replace(day=1)
    while month < period.end:
        following = _next_month(month)
        lo, hi = max(period.start, month), min(period.end, following)
        inside, outside = (hi - lo).days, (following - month).days - (hi - lo).days
        if outside < inside:
            months.append(month)
            minus += [_days(a, b) for a, b in ((month, lo), (hi, following)) if a < b]
        else:
            plus.append(_days(lo, hi))
        month = following
    if months:  # contiguous: whole months, and partial ones only next to them
        plus.append(Q(grain=Grain.MONTH, bucket__gte=months[0], bucket__lte=months[-1]))
    if not plus:  # an empty period (start == end on the first of a month) holds no rows
        plus.append(_days(period.start, period.start))
    return _any(plus), (_any(minus) if minus else None)


def _any(qs: Sequence[Q]) -> Q:
    out = qs[0]
    for q in qs[1:]:
        out |= q
    return out


def slice_q(s: Slice, *, org_field: str = "org_id") -> Q:
    q = Q()
    if s.region_code:
        q &= Q(region__startswith=region_prefix(s.region_code))
    if s.org_id is not None:
        q &= Q(**{org_field: s.org_id})
    if s.category_id is not None:
        q &= Q(category_id=s.category_id)
    if s.channel:
        q &= Q(channel=s.channel)
    if s.petition_type:
        q &= Q(petition_type=s.petition_type)
    return q


def margin_dim(s: Slice, by: str = "") -> str | None:
    """The one detail dimension (MARGIN_DIMS) a query without a unit filters or groups by, ""
    for none: what MarginRollup answers. None when it needs a unit or two detail dimensions."""
    if s.org_id is not None or by == "unit":
        return None
    filters = {"category": s.category_id is not None, "channel": bool(s.channel),
               "type": bool(s.petition_type)}  # fmt: skip
    used = {dim for dim, on in filters.items() if on} | ({by} & set(MARGIN_DIMS))
    if len(used) > 1:
        return None
    return used.pop() if used else ""


def _margin_q(s: Slice, dim: str) -> Q:
    q = Q(dim=dim)
    if s.region_code:
        q &= Q(region__startswith=region_prefix(s.region_code))
    value = {"category": s.category_id, "channel": s.channel, "type": s.petition_type}.get(dim)
    if value not in (None, ""):
        q &= Q(key=str(value))
    return q


def rollup_model(s: Slice, by: str = "") -> type[RollupSums]:
    """The smallest rollup table that holds the dimensions a query needs: one detail dimension
    at most and no unit (MarginRollup) for most region views, without the unit (AreaRollup)
    for other region views, by unit and county only (UnitRollup) for unit views, and the full
    table only for a unit crossed with other dimensions."""
    if margin_dim(s, by) is not None:
        return MarginRollup
    needs_org = s.org_id is not None or by == "unit"
    needs_detail = bool(s.category_id is not None or s.channel or s.petition_type) or by in (
        "category",
        "channel",
        "type",
    )
    if not needs_org:
        return AreaRollup
    return KpiRollup if needs_detail else UnitRollup


def month_aligned(period: Period) -> bool:
    return period.start.day == 1 and period.end.day == 1


def _fact_expr(by: str, s: Slice, part: str) -> Any:
    if by == "unit":
        return F(PART_ORG.get(part, "org_id"))
    if by == "month":
        return F(f"{part}_day")
    return _group_expr(by, s)[1]


def _fact_rows(
    period: Period, s: Slice, by: str, grain: str, parts: Sequence[str]
) -> list[dict[str, Any]]:
    """The same sums as the rollups give, read from the facts: for a unit crossed with a
    category, channel or type over days rather than whole months (the full rollup table is
    kept by month only). Bounded by the slice's filters, one query per part."""
    rows: list[dict[str, Any]] = []
    for part in parts:
        day = f"{part}_day"
        qs = CaseFact.objects.filter(
            Q(**{f"{day}__gte": period.start, f"{day}__lt": period.end})
            & slice_q(s, org_field=PART_ORG.get(part, "org_id"))
        )
        group = []
        if by:
            qs, group = qs.annotate(key_=_fact_expr(by, s, part)), ["key_"]
        if grain:
            qs, group = qs.annotate(bucket=F(day)), [*group, "bucket"]
        agg = {f"{part}_num": Sum(f"{part}_num"), f"{part}_den": Count("pk")}
        if group:
            rows += [dict(r) for r in qs.values(*group).annotate(**agg).order_by()]
        else:
            rows.append(qs.aggregate(**agg))
    return rows


def _sum_rows(period: Period, s: Slice, by: str = "", grain: str = "") -> list[dict[str, Any]]:
    """Summed rollup columns for the period and slice, grouped by `by` (as "key_") and, for
    series, by bucket; `grain` "" (no buckets), "month", or "day" (day rows)."""
    model = rollup_model(s, by)
    parts = ("vol",) if grain else PARTS
    columns = [f"{p}_{x}" for p in parts for x in ("num", "den")]
    if model is KpiRollup and (grain in ("day", "week") or not month_aligned(period)):
        return _fact_rows(period, s, by, "day" if grain else "", parts)
    if grain in ("day", "week"):
        plus, minus = _days(period.start, period.end), None
    else:
        plus, minus = period_split(period)
    rows = _summed(model, plus, s, by, grain, columns)
    if minus is not None:  # taken away: the same sums, negated, for the callers to add
        for row in _summed(model, minus, s, by, grain, columns):
            rows.append({k: -(v or 0) if k in columns else v for k, v in row.items()})
    return rows


def _summed(
    model: type[RollupSums], q: Q, s: Slice, by: str, grain: str, columns: Sequence[str]
) -> list[dict[str, Any]]:
    dim = margin_dim(s, by)
    where = slice_q(s) if dim is None else _margin_q(s, dim)
    qs = model._default_manager.filter(q & where)
    group = []
    if by:
        key = F("key") if dim and by in MARGIN_DIMS else _group_expr(by, s)[1]
        qs, group = qs.annotate(key_=key), ["key_"]
    if grain:
        group.append("bucket")
    sums = {c: Sum(c) for c in columns}
    if not group:
        return [qs.aggregate(**sums)]
    return [dict(r) for r in qs.values(*group).annotate(**sums).order_by()]


def unit_sums(*, period: Period, org_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Summed rollup columns per unit over the period (UnitRollup), read as period_split
    says: what a 考核 table ranks."""
    plus, minus = period_split(period)
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for q, sign in ((plus, 1), (minus, -1)):
        if q is None:
            continue
        rows = (
            UnitRollup.objects.filter(q, org_id__in=list(org_ids))
            .values("org_id")
            .annotate(**{c: Sum(c) for c in SUM_COLUMNS})
            .order_by()
        )
        for row in rows:
            for c in SUM_COLUMNS:
                out[row["org_id"]][c] += sign * int(row[c] or 0)  # type: ignore[literal-required]
    return out


def _values(sums: Mapping[str, Any], variant: str | None = None) -> dict[str, KpiValue]:
    default_variant, weight = satisfaction_variant()
    out = {}
    for kpi in KPI_IDS:
        num, den, rate = kpi_rate(
            kpi, sums, variant=variant or default_variant, basic_weight=weight
        )
        out[kpi] = KpiValue(kpi, num, den, rate)
    return out


# --- the contract --------------------------------------------------------------------------


def kpi_summary(*, period: Period, slice: Slice, variant: str | None = None) -> dict[str, KpiValue]:
    """Every available KPI (KPI_IDS) over the period and slice, plus two plain counts:
    "VOL" (petitions received: num = count, den = 0) and "DSP" (den = petitions dispatched,
    num = of which by 交办). `variant` overrides the K-7 variant."""
    sums: dict[str, int] = defaultdict(int)
    for row in _sum_rows(period, slice):
        for c in SUM_COLUMNS:
            sums[c] += int(row.get(c) or 0)
    values = _values(sums, variant)
    values["VOL"] = KpiValue("VOL", int(sums["vol_num"] or 0), 0, None)
    values["DSP"] = KpiValue("DSP", int(sums["dsp_num"] or 0), int(sums["dsp_den"] or 0), None)
    return values


def _group_expr(by: str, s: Slice) -> tuple[str, Any]:
    if by == "unit":
        return "org_id", F("org_id")
    if by == "region":
        # One level below the slice's region: province → cities, city → counties.
        prefix = region_prefix(s.region_code)
        width = {0: 2, 2: 4, 4: 6}.get(len(prefix), 6)
        return "key", Substr("region", 1, width)
    if by == "category":
        return "category_id", F("category_id")
    if by == "channel":
        return "channel", F("channel")
    if by == "type":
        return "petition_type", F("petition_type")
    if by == "month":
        return "bucket", F("bucket")
    raise ValueError(by)


def kpi_breakdown(
    *,
    period: Period,
    slice: Slice,
    by: str,
    variant: str | None = None,
) -> list[BreakdownRow]:
    """KPIs per unit, region (one level below the slice's), first-level category, channel,
    petition type or month; rows by volume, largest first (months in order)."""
    if by not in BREAKDOWN_BY:
        raise ValueError(f"by must be one of {BREAKDOWN_BY}")
    merged: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in _sum_rows(period, slice, by):
        key = row["key_"]
        key = key.strftime("%Y-%m") if by == "month" else str(key if key is not None else "")
        for c in SUM_COLUMNS:
            merged[key][c] += int(row.get(c) or 0)
    # A key whose sums are all zero has nothing in the period (e.g. only subtracted days).
    merged = {key: sums for key, sums in merged.items() if any(sums.values())}
    labels = breakdown_labels(by, merged.keys())
    out = [
        BreakdownRow(key, labels.get(key, key), sums["vol_num"], _values(sums, variant))
        for key, sums in merged.items()
    ]
    if by == "month":
        return sorted(out, key=lambda r: r.key)
    return sorted(out, key=lambda r: (-r.volume, r.key))


def breakdown_labels(by: str, keys: Iterable[str]) -> dict[str, str]:
    """Display names for breakdown keys (units, divisions, categories, channels, types)."""
    keys = [k for k in keys if k]
    if by == "unit":
        ids = [int(k) for k in keys if k.isdigit()]
        return {str(i): n for i, n in Org.objects.filter(pk__in=ids).values_list("pk", "name")}
    if by == "region":
        return dict(Region.objects.filter(prefix__in=keys).values_list("prefix", "name"))
    if by == "category":
        ids = [int(k) for k in keys if k.isdigit()]
        return {str(i): n for i, n in Category.objects.filter(pk__in=ids).values_list("pk", "name")}
    if by == "channel":
        return {str(v): str(lbl) for v, lbl in Channel.choices}
    if by == "type":
        return dict(PetitionType.objects.filter(code__in=keys).values_list("code", "name"))
    return {}


def _bucket_of(d: date, grain: str) -> date:
    if grain == "month":
        return d.replace(day=1)
    if grain == "week":
        return d - timedelta(days=d.weekday())
    return d


def volume_series(
    *,
    period: Period,
    slice: Slice,
    by: str = "channel",
    grain: str = "month",
) -> list[SeriesPoint]:
    """Petitions received per bucket (day, week starting Monday, or month) and key (channel,
    region one level down, category id, type code, unit id, or "" for "total")."""
    if by not in SERIES_BY or grain not in GRAINS:
        raise ValueError(f"by in {SERIES_BY}, grain in {GRAINS}")
    rows = _sum_rows(period, slice, "" if by == "total" else by, grain)
    keyed = (
        (r["bucket"], "" if by == "total" else str(r["key_"] if r["key_"] is not None else ""),
         r["vol_num"])
        for r in rows
    )  # fmt: skip
    counts: dict[tuple[date, str], int] = defaultdict(int)
    for bucket, key, n in keyed:
        counts[(_bucket_of(bucket, grain), key)] += int(n or 0)
    return [SeriesPoint(b, k, n) for (b, k), n in sorted(counts.items()) if n]


def kpi_facts(*, kpi: str, part: str, period: Period, slice: Slice) -> QuerySet[CaseFact]:
    """The facts behind one figure: the denominator's cases ("den") or the numerator's ("num").
    For K-7 the numerator follows the configured variant (C: 满意 and 基本满意)."""
    if kpi == "VOL":
        d_part, n_part = "vol", "vol"
    else:
        d = KPIS[kpi]
        if not d.available:
            return CaseFact.objects.none()
        d_part, n_part = d.den, d.num
    if part not in ("num", "den"):
        raise ValueError("part must be num or den")
    q = Q(**{f"{d_part}_day__gte": period.start, f"{d_part}_day__lt": period.end})
    q &= slice_q(slice, org_field=PART_ORG.get(d_part, "org_id"))
    if part == "num":
        if kpi == "K7" and satisfaction_variant()[0] != "B":
            q &= Q(k7s_num__gt=0) | Q(k7b_num__gt=0)
        else:
            q &= Q(**{f"{n_part}_num__gt": 0})
    return CaseFact.objects.filter(q)


def kpi_cases(
    *,
    user: object,
    kpi: str,
    part: str,
    period: Period,
    slice: Slice,
) -> QuerySet[Case]:
    """Drill-down: the cases behind a KPI's numerator or denominator that `user` may read
    (through the scoped case selector; others are silently left out)."""
    facts = kpi_facts(kpi=kpi, part=part, period=period, slice=slice)
    return case_list_for_user(user=user).filter(pk__in=facts.values("case_id"))


def assessment_table(*, scheme_id: int, period: Period) -> list[AssessmentRow]:
    """The 考核 ranking of a scheme's units over the period (see analytics.assessment)."""
    from xinfang.analytics.assessment import assessment_rows

    return assessment_rows(scheme_id=scheme_id, period=period)
