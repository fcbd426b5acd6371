"""Every KPI of DOMAIN.md §8 against figures worked out by hand on kpi_world's ten cases.

The story (all 2025, Asia/Shanghai; "due" is the nominal end of a period, DOMAIN C-2):

  case  forwarded  signed         notice due   handling due   replied          rating
  A     08-01      08-03 (on)     08-16        10-02          08-20 (on)    满意; 复查 → 变更
  B     08-01      08-04 (on)     08-16        10-03          10-20 (late)  基本满意; triage repeat
  C     08-01      08-03 (on)     08-16        11-01 (+30 d)  10-25 (on)    不满意 → revisit: solved
  D     08-05      08-05 (on)     08-20        10-04          08-25 (on)    window expired
  E     08-05      08-05 (on)     08-20        10-04          08-26 (on)    不满意 → 重办 → 满意
  F     08-01 housing returns (agreed) → 08-05 transport, signed 08-06 (on, due 08-20);
        due 10-05, never answered; two supervision orders (10-10, 10-20)
  G     08-01 housing returns, rejected; signed 08-20 (late: due 08-18, the rolled due of the
        first notice clock, which the rejection restarts); due 10-19, replied 09-10 (on);
        rating window (to 10-10) ran out unrated
  H     08-01, signed 08-02, never answered — excluded from every KPI ("unreasonable")
  I     anonymous suggestion answered at once by the bureau (直办); no notice owed
  J     registered 08-07, confirmed repeat of A, never routed: no written notice
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from xinfang.analytics.kpis import KPI_IDS, KPIS
from xinfang.analytics.models import PARTS
from xinfang.analytics.rollup import rollup_refresh
from xinfang.analytics.selectors import (
    KpiValue,
    Period,
    Slice,
    _fact_rows,
    _sum_rows,
    kpi_breakdown,
    kpi_cases,
    kpi_summary,
    rollup_model,
    volume_series,
)
from xinfang.analytics.tests.kpi_world import KpiWorld
from xinfang.clock.engine import TZ

NOW = datetime(2026, 1, 15, 9, tzinfo=TZ)
YEAR = Period.year(2025)


def nd(value: KpiValue) -> tuple[int, int]:
    return value.num, value.den


@pytest.fixture
def refreshed(kw: KpiWorld) -> KpiWorld:
    assert rollup_refresh(now=NOW) == 10
    return kw


# (kpi, numerator, denominator) for 2025, worked out by hand from the table above.
EXPECTED_2025 = [
    # K-1: dispatched and due for signing, H excluded: A B C D E F G = 7; G signed late → 6.
    ("K1", 6, 7),
    # K-2: due for handling: A B C D E F G = 7; on time A C D E G = 5 (B late, F unanswered).
    ("K2", 5, 7),
    # K-3: replied or closed among those 7: all but F → 6.
    ("K3", 6, 7),
    # K-4: receipt notice within the signing limit, of 7 dispatched named cases: G late → 6.
    ("K4", 6, 7),
    # K-5: revisits opened C, E = 2; both done → 2.
    ("K5", 2, 2),
    # K-6: 应评价 = 已评价 (A B C E = 4) + 超期未评价 (D G = 2) = 6; 已评价 4.
    ("K6", 4, 6),
    # K-7 variant A: (满意 A E = 2 + 基本满意 B = 1) ÷ 已评价 4 = 0.75.
    ("K7", 3, 4),
    # K-8: revisits with an answer C, E = 2; resolved C → 1.
    ("K8", 1, 2),
    # K-9: all items but H (excluded) = 9; repeats B (triage), J (confirmed) = 2.
    ("K9", 2, 9),
    # K-10: dispatched 7 (H excluded); returned F, G = 2.
    ("K10", 2, 7),
    # K-10b: returns F, G = 2; rejected G = 1.
    ("K10b", 1, 2),
    # K-11: replied A B C D E G = 6; re-handled E = 1.
    ("K11", 1, 6),
    # K-12: overdue B, F of the 7 due = 2.
    ("K12", 2, 7),
    # K-12b: F has two supervision orders; one supervised case.
    ("K12b", 2, 1),
    # K-13: registered 9 (H excluded); answered at once: I = 1.
    ("K13", 1, 9),
    # K-16: named items owing a notice: A–G (forward notice the day they came) + J (none;
    # its 15 days ran out) = 8; on time 7.
    ("K16", 7, 8),
    # K-17: appeals due (same 7 as K-2): opinion within 60 d (+ext): A C D E G = 5.
    ("K17", 5, 7),
    # K-18: opinions A B C D E G = 6; 复查 requested: A = 1.
    ("K18", 1, 6),
    # K-18b: decisions: A's 复查 = 1; it revised the opinion = 1.
    ("K18b", 1, 1),
]


def test_every_available_kpi_has_a_hand_figure() -> None:
    assert {k for k, _, _ in EXPECTED_2025} == set(KPI_IDS)
    assert not KPIS["K14"].available
    assert not KPIS["K15"].available


def test_every_kpi_for_the_year_matches_the_hand_figures(
    refreshed: KpiWorld, settings: Any
) -> None:
    summary = kpi_summary(period=YEAR, slice=Slice())
    got = [(kpi, summary[kpi].num, summary[kpi].den) for kpi, _, _ in EXPECTED_2025]
    assert got == EXPECTED_2025
    for kpi, num, den in EXPECTED_2025:
        rate = summary[kpi].rate
        assert rate is None if KPIS[kpi].kind == "count" else rate == pytest.approx(num / den)
    # Volume counts every petition, the excluded one too.
    assert summary["VOL"].num == 10
    # K-7 variants: A (2 满意 + 1 基本满意) ÷ 4; B 2 ÷ 4; C (2 + w × 1) ÷ 4.
    for variant, weight, rate in [
        ("A", 0.8, 3 / 4),
        ("B", 0.8, 2 / 4),
        ("C", 0.8, (2 + 0.8 * 1) / 4),  # 0.7
        ("C", 0.5, (2 + 0.5 * 1) / 4),  # 0.625
    ]:
        settings.XINFANG_KPI_SATISFACTION_VARIANT = variant
        settings.XINFANG_KPI_BASIC_WEIGHT = weight
        assert kpi_summary(period=YEAR, slice=Slice())["K7"].rate == pytest.approx(rate)
    # A variant asked for explicitly wins over the setting.
    assert kpi_summary(period=YEAR, slice=Slice(), variant="B")["K7"].rate == 0.5


def test_months_and_odd_periods(refreshed: KpiWorld) -> None:
    # K-2 by due date: October holds A 10-02, B 10-03, D E 10-04, F 10-05, G 10-19 = 6, on time
    # A D E G = 4; November holds C (11-01) alone, on time.
    oct_, nov = Period.month(2025, 10), Period.month(2025, 11)
    assert nd(kpi_summary(period=oct_, slice=Slice())["K2"]) == (4, 6)
    assert nd(kpi_summary(period=nov, slice=Slice())["K2"]) == (1, 1)
    # A period that is not whole months is read from the day rows: 10-03 and 10-04 hold B
    # (late), D and E (on time) → 2 of 3.
    odd = Period(date(2025, 10, 3), date(2025, 10, 5))
    assert nd(kpi_summary(period=odd, slice=Slice())["K2"]) == (2, 3)
    # Across a month boundary: 09-25 … 10-02 holds D's expired rating (09-25) for K-6 and A's
    # due date (10-02) for K-2.
    span = Period(date(2025, 9, 25), date(2025, 10, 3))
    summary = kpi_summary(period=span, slice=Slice())
    assert nd(summary["K6"]) == (0, 1)
    assert nd(summary["K2"]) == (1, 1)


def test_breakdown_by_unit_credits_returns_to_the_unit_that_returned(refreshed: KpiWorld) -> None:
    w = refreshed.w
    rows = {r.key: r for r in kpi_breakdown(period=YEAR, slice=Slice(), by="unit")}
    housing, transport = rows[str(w.housing.pk)], rows[str(refreshed.transport.pk)]
    assert housing.label == w.housing.name
    # Housing leads A B C D E G H: volume 7; K-2 5 of 6 (B late); returns: F and G were both
    # dispatched first to housing and returned by it: 2 of 7 dispatches (A–G).
    assert housing.volume == 7
    assert nd(housing.kpis["K2"]) == (5, 6)
    assert nd(housing.kpis["K10"]) == (2, 7)
    # Transport leads F only: K-2 0 of 1, signed on time 1 of 1.
    assert transport.volume == 1
    assert nd(transport.kpis["K2"]) == (0, 1)
    assert nd(transport.kpis["K1"]) == (1, 1)
    # The bureau registered I and J, which have no lead unit; it answered I at once, and
    # every registration counts for its K-13: 1 of 9.
    bureau = rows[str(w.bureau.pk)]
    assert (bureau.volume, nd(bureau.kpis["K13"])) == (2, (1, 9))


def test_breakdown_by_category_month_and_region(refreshed: KpiWorld) -> None:
    by_cat = {r.key: r.volume for r in kpi_breakdown(period=YEAR, slice=Slice(), by="category")}
    assert sum(by_cat.values()) == 10
    top = refreshed.cases["J"].category_id  # 010000 is itself first level
    assert by_cat[str(top)] == 1
    months = kpi_breakdown(period=YEAR, slice=Slice(), by="month")
    assert [(r.key, r.volume) for r in months] == [("2025-08", 10), ("2025-09", 0),
                                                   ("2025-10", 0), ("2025-11", 0)]  # fmt: skip
    # Province slice → one row per city: all ten are in Changsha (4301).
    cities = kpi_breakdown(period=YEAR, slice=Slice(region_code="430000"), by="region")
    assert [(r.key, r.volume) for r in cities] == [("4301", 10)]
    counties = kpi_breakdown(period=YEAR, slice=Slice(region_code="430100"), by="region")
    assert [(r.key, r.label) for r in counties] == [("430102", "芙蓉区")]


def test_volume_series(refreshed: KpiWorld) -> None:
    series = volume_series(period=YEAR, slice=Slice(), by="channel", grain="month")
    assert [(p.bucket, p.key, p.count) for p in series] == [(date(2025, 8, 1), "api", 10)]
    days = volume_series(period=YEAR, slice=Slice(), by="total", grain="day")
    # 08-01: A B C F G H = 6; 08-05: D E = 2; 08-06: I; 08-07: J.
    assert [(p.bucket.day, p.count) for p in days] == [(1, 6), (5, 2), (6, 1), (7, 1)]
    weeks = volume_series(period=YEAR, slice=Slice(), by="total", grain="week")
    # 2025-08-01 is a Friday (week of 07-28); 08-05 … 08-07 are in the week of 08-04.
    assert [(p.bucket, p.count) for p in weeks] == [(date(2025, 7, 28), 6), (date(2025, 8, 4), 4)]


def test_drill_down_lists_the_cases_behind_a_figure(refreshed: KpiWorld) -> None:
    c, w = refreshed.cases, refreshed.w

    def ids(kpi: str, part: str, user: object = w.supervisor) -> set[int]:
        qs = kpi_cases(user=user, kpi=kpi, part=part, period=YEAR, slice=Slice())
        return set(qs.values_list("pk", flat=True))

    pk = {k: v.pk for k, v in c.items()}
    assert ids("K2", "num") == {pk[k] for k in "ACDEG"}
    assert ids("K2", "den") == {pk[k] for k in "ABCDEFG"}
    assert ids("K7", "num") == {pk[k] for k in "ABE"}
    assert ids("K6", "den") == {pk[k] for k in "ABCDEG"}
    assert ids("K12b", "num") == {pk["F"]}
    # Transport's staff see only the case they hold.
    assert ids("K2", "den", user=refreshed.transport_handler) == {pk["F"]}
    # Sliced to a unit: housing's returns.
    qs = kpi_cases(
        user=w.supervisor, kpi="K10", part="num", period=YEAR, slice=Slice(org_id=w.housing.pk)
    )
    assert set(qs.values_list("pk", flat=True)) == {pk["F"], pk["G"]}


def test_kpi_rollups_move_only_when_refreshed(kw: KpiWorld) -> None:
    # Only H's fact exists yet: adding its exclusion refreshed it.
    assert kpi_summary(period=YEAR, slice=Slice())["VOL"].num == 1
    rollup_refresh(now=NOW)
    assert kpi_summary(period=YEAR, slice=Slice())["VOL"].num == 10


def test_unit_crossed_with_a_channel_reads_month_rows_or_facts(refreshed: KpiWorld) -> None:
    housing = refreshed.w.housing.pk
    by_channel = Slice(org_id=housing, channel="api")
    # Whole months: the full rollup table (by month). Housing: K-2 5 of 6 (B late).
    assert nd(kpi_summary(period=YEAR, slice=by_channel)["K2"]) == (5, 6)
    # Days: the same sums from the facts. 10-03 … 10-04: B (late), D and E (on time).
    odd = Period(date(2025, 10, 3), date(2025, 10, 5))
    assert nd(kpi_summary(period=odd, slice=by_channel)["K2"]) == (2, 3)
    rows = kpi_breakdown(period=odd, slice=Slice(channel="api"), by="unit")
    assert [(r.key, nd(r.kpis["K2"])) for r in rows if r.kpis["K2"].den] == [(str(housing), (2, 3))]
    # Volume by unit and day: 08-01 housing A B C G H (F is credited to transport, its lead).
    series = volume_series(period=YEAR, slice=Slice(channel="api"), by="unit", grain="day")
    assert (date(2025, 8, 1), str(housing), 5) in [(p.bucket, p.key, p.count) for p in series]


@pytest.mark.parametrize(
    ("slice_", "by"),
    [
        (Slice(), ""),
        (Slice(), "category"),
        (Slice(), "channel"),
        (Slice(), "type"),
        (Slice(), "region"),
        (Slice(channel="api"), "region"),
        (Slice(petition_type="suggestion"), ""),
        (Slice(channel="api"), "type"),  # two detail dimensions: the area table
        (Slice(region_code="430102"), "category"),
    ],
)
def test_every_rollup_table_gives_the_facts_sums(
    refreshed: KpiWorld, slice_: Slice, by: str
) -> None:
    """Whichever table a query is routed to (margins for one detail dimension, the area table
    for two), its sums equal the same sums taken from the facts: for a year, for whole months
    and a few days (day rows), and for most of two months (month rows less the days outside:
    08-01, when five of the cases came, is taken away)."""
    periods = (
        YEAR,
        Period(date(2025, 8, 1), date(2025, 10, 4)),
        Period(date(2025, 8, 2), date(2025, 10, 30)),
    )
    for period in periods:
        routed = _keyed(_sum_rows(period, slice_, by), by)
        from_facts = _keyed(_fact_rows(period, slice_, by, "", PARTS), by)
        assert routed == from_facts, (rollup_model(slice_, by).__name__, period)
        assert routed  # the fixture has cases in every one of these slices


def _keyed(rows: list[dict[str, Any]], by: str) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        key = str(row.get("key_", "")) if by else ""
        sums = out.setdefault(key, {})
        for column, value in row.items():
            if column != "key_" and value:
                sums[column] = sums.get(column, 0) + int(value)
    nonzero = {key: {c: n for c, n in sums.items() if n} for key, sums in out.items()}
    return {key: sums for key, sums in nonzero.items() if sums}


@pytest.mark.parametrize("day", [date(2025, 10, 1), date(2025, 10, 15)])
def test_an_empty_period_has_no_figures(refreshed: KpiWorld, day: date) -> None:
    empty = Period(day, day)
    assert kpi_summary(period=empty, slice=Slice())["VOL"].num == 0
    assert kpi_breakdown(period=empty, slice=Slice(), by="category") == []
