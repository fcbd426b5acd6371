"""Unit assessment (考核): a scheme's units ranked by a weighted score of their KPIs.

Score = Σ wᵢ·sᵢ ÷ Σ wᵢ over the scheme's indicators that have a denominator for the unit,
where sᵢ is the rate × 100 (or (1 − rate) × 100 for indicators where lower is better). A unit
whose volume is below the scheme's minimum is listed apart, unranked, so that a unit with three
cases does not top the table.
"""

from __future__ import annotations

from collections.abc import Mapping

from xinfang.analytics.kpis import KPIS, kpi_rate
from xinfang.analytics.models import AssessmentScheme
from xinfang.analytics.selectors import AssessmentRow, KpiValue, Period, unit_sums
from xinfang.orgs.models import Org


def scheme_units(*, scheme: AssessmentScheme) -> dict[int, str]:
    """The units a scheme ranks: active units of its kind inside its jurisdiction."""
    units = Org.objects.filter(is_active=True, region__prefix__startswith=scheme.region.prefix)
    if scheme.unit_kind:
        units = units.filter(kind=scheme.unit_kind)
    return dict(units.values_list("pk", "name"))


def indicator_score(kpi: str, value: KpiValue) -> float | None:
    """0–100 points for one indicator, oriented so that more is better."""
    if value.rate is None:
        return None
    points = value.rate * 100
    return points if KPIS[kpi].higher_is_better else 100 - points


def composite_score(kpis: dict[str, KpiValue], weights: dict[str, float]) -> float | None:
    total = weighted = 0.0
    for kpi, weight in weights.items():
        points = indicator_score(kpi, kpis[kpi]) if kpi in kpis else None
        if points is None or weight <= 0:
            continue  # no denominator: the indicator does not count for this unit
        total += weight
        weighted += weight * points
    return round(weighted / total, 2) if total else None


def scheme_weights(scheme: AssessmentScheme) -> dict[str, float]:
    return {
        str(k): float(w)
        for k, w in (scheme.indicators or {}).items()
        if str(k) in KPIS and KPIS[str(k)].available
    }


def assessment_rows(*, scheme_id: int, period: Period) -> list[AssessmentRow]:
    """Ranked rows first (best score first; ties share a rank), then the units below the
    minimum volume, by volume."""
    scheme = AssessmentScheme.objects.select_related("region").get(pk=scheme_id)
    units = scheme_units(scheme=scheme)
    weights = scheme_weights(scheme)
    sums_by_org = unit_sums(period=period, org_ids=list(units))
    rows = []
    for org_id, name in units.items():
        sums: Mapping[str, int] = sums_by_org.get(org_id, {})
        kpis = {}
        for kpi in weights:
            num, den, rate = kpi_rate(
                kpi, sums, variant=scheme.k7_variant, basic_weight=scheme.k7_basic_weight
            )
            kpis[kpi] = KpiValue(kpi, num, den, rate)
        volume = int(sums.get("vol_num") or 0)
        ranked = volume >= scheme.min_volume and volume > 0
        score = composite_score(kpis, weights) if ranked else None
        rows.append(
            AssessmentRow(
                org_id, name, volume, kpis, score, None, ranked and score is not None, weights
            )
        )
    return _ranked(rows)


def _ranked(rows: list[AssessmentRow]) -> list[AssessmentRow]:
    ranked = sorted((r for r in rows if r.ranked), key=lambda r: (-(r.score or 0), r.org_name))
    out: list[AssessmentRow] = []
    previous: float | None = None
    rank = 0
    for i, row in enumerate(ranked, start=1):
        if row.score != previous:
            rank, previous = i, row.score
        out.append(
            AssessmentRow(
                row.org_id, row.org_name, row.volume, row.kpis, row.score, rank, True, row.weights
            )
        )
    rest = sorted((r for r in rows if not r.ranked), key=lambda r: (-r.volume, r.org_name))
    return out + rest
