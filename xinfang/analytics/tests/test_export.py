"""Tables to Excel and CSV, read back with openpyxl and csv."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from xinfang.analytics.exports import assessment_export, breakdown_table, case_list_table
from xinfang.analytics.models import AssessmentScheme
from xinfang.analytics.rollup import rollup_refresh
from xinfang.analytics.selectors import Period, Slice, assessment_table, kpi_breakdown, kpi_cases
from xinfang.analytics.tests.kpi_world import KpiWorld
from xinfang.clock.engine import TZ
from xinfang.core.tables import Column, Table, table_csv, table_response, table_xlsx
from xinfang.orgs.models import OrgKind, Region

NOW = datetime(2026, 1, 15, 9, tzinfo=TZ)
YEAR = Period.year(2025)


def _sheet(data: bytes) -> list[tuple[object, ...]]:
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


def test_generic_table_round_trip() -> None:
    table = Table(
        "测试",
        [Column("name", "名称"), Column("n", "件数", "int"), Column("r", "比率", "rate")],
        [{"name": "芙蓉区", "n": 7, "r": 5 / 6}, {"name": "天心区", "n": 0, "r": None}],
    )
    xlsx = table_xlsx(table)
    book = load_workbook(io.BytesIO(xlsx))
    sheet = book.active
    assert sheet is not None
    assert sheet.title == "测试"
    assert list(sheet.iter_rows(values_only=True)) == [
        ("名称", "件数", "比率"),
        ("芙蓉区", 7, pytest.approx(5 / 6)),
        ("天心区", 0, None),
    ]
    assert sheet["C2"].number_format == "0.00%"
    assert sheet["A1"].font.bold
    raw = table_csv(table)
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows == [["名称", "件数", "比率"], ["芙蓉区", "7", "83.33%"], ["天心区", "0", ""]]
    response = table_response(table, "csv", "test")
    assert response["Content-Disposition"] == 'attachment; filename="test.csv"'


def test_breakdown_assessment_and_case_list_exports(kw: KpiWorld) -> None:
    rollup_refresh(now=NOW)
    w = kw.w
    rows = kpi_breakdown(period=YEAR, slice=Slice(), by="unit")
    sheet = _sheet(table_xlsx(breakdown_table(rows, title="分单位", key_label="单位")))
    header = sheet[0]
    assert header[:2] == ("单位", "信访量")
    by_name = {r[0]: dict(zip(header, r, strict=True)) for r in sheet[1:]}
    housing = by_name[w.housing.name]
    assert housing["信访量"] == 7
    assert housing["按时办结率"] == pytest.approx(5 / 6)
    assert (housing["按时办结率 分子"], housing["按时办结率 分母"]) == (5, 6)

    scheme = AssessmentScheme.objects.create(
        name="考核",
        region=Region.objects.get(code="430102"),
        unit_kind=OrgKind.DEPARTMENT,
        indicators={"K2": 1},
        min_volume=2,
    )
    table = assessment_export(assessment_table(scheme_id=scheme.pk, period=YEAR), title="考核")
    text = table_csv(table).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][:4] == ["排名", "单位", "信访量", "综合得分"]
    assert lines[1][:4] == ["1", w.housing.name, "7", "83.33"]
    assert lines[2][:3] == ["", kw.transport.name, "1"]
    assert lines[2][-1] == "件数不足，不参与排名"

    cases = kpi_cases(user=w.supervisor, kpi="K12", part="num", period=YEAR, slice=Slice())
    sheet = _sheet(table_xlsx(case_list_table(cases, title="超期")))
    numbers = sorted(str(r[0]) for r in sheet[1:])
    assert numbers == sorted([kw.cases["B"].item_number, kw.cases["F"].item_number])
    # Local wall time, no petitioner data in the columns.
    assert sheet[0] == ("信访件编号", "标题", "渠道", "收到时间", "状态", "主办单位", "办理期限")
    received = {r[0]: r[3] for r in sheet[1:]}
    # openpyxl reads naive wall time back, as it was written.
    assert received[kw.cases["B"].item_number] == datetime(2025, 8, 1, 9, 0)  # noqa: DTZ001
