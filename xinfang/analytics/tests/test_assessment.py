"""Unit assessment (考核): weighted scores, ranking, and the minimum-volume rule."""

from __future__ import annotations

from datetime import datetime

import pytest

from xinfang.analytics.models import AssessmentScheme
from xinfang.analytics.rollup import rollup_refresh
from xinfang.analytics.selectors import Period, Slice, assessment_table, kpi_cases
from xinfang.analytics.tests.kpi_world import KpiWorld
from xinfang.clock.engine import TZ
from xinfang.orgs.models import OrgKind, Region

NOW = datetime(2026, 1, 15, 9, tzinfo=TZ)
YEAR = Period.year(2025)


def _scheme(**kw: object) -> AssessmentScheme:
    fields: dict[str, object] = {
        "name": "芙蓉区职能部门考核",
        "region": Region.objects.get(code="430102"),
        "unit_kind": OrgKind.DEPARTMENT,
        "indicators": {"K2": 50, "K7": 50},
        "min_volume": 2,
    }
    return AssessmentScheme.objects.create(**{**fields, **kw})


def test_ranking_with_minimum_volume(kw: KpiWorld) -> None:
    rollup_refresh(now=NOW)
    w = kw.w
    rows = assessment_table(scheme_id=_scheme().pk, period=YEAR)
    # The county's departments: housing (7 petitions) and transport (1).
    assert [(r.org_name, r.rank, r.ranked) for r in rows] == [
        (w.housing.name, 1, True),
        (kw.transport.name, None, False),  # 1 < 2: listed apart, not ranked
    ]
    housing = rows[0]
    # K-2 5/6 → 83.33 points; K-7 (variant A) 3/4 → 75 points; (50·83.33 + 50·75) ÷ 100.
    assert housing.score == pytest.approx(round((50 * 500 / 6 + 50 * 75) / 100, 2))  # 79.17
    assert (housing.kpis["K2"].num, housing.kpis["K2"].den) == (5, 6)
    assert rows[1].score is None
    # Every figure drills down to its cases with the row's unit as the slice.
    cases = kpi_cases(
        user=w.supervisor, kpi="K2", part="den", period=YEAR, slice=Slice(org_id=housing.org_id)
    )
    assert cases.count() == 6


def test_lower_is_better_and_scheme_variant(kw: KpiWorld) -> None:
    rollup_refresh(now=NOW)
    scheme = _scheme(indicators={"K2": 50, "K7": 30, "K12": 20}, min_volume=1, k7_variant="B")
    rows = assessment_table(scheme_id=scheme.pk, period=YEAR)
    housing, transport = rows
    # K-2 83.33; K-7 variant B 2/4 = 50; K-12 overdue 1/6 → 100 − 16.67 = 83.33 points.
    expected = (50 * 500 / 6 + 30 * 50 + 20 * (100 - 100 / 6)) / 100  # 73.33
    assert housing.score == pytest.approx(round(expected, 2))
    # Transport (1 petition, now enough): K-2 0/1 → 0; K-7 has no ratings (not counted);
    # K-12 1/1 overdue → 0 points. Score 0, ranked second.
    assert (transport.rank, transport.score) == (2, 0.0)
