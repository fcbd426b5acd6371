"""Every analytics table to Excel (openpyxl) and CSV, through one generic table type.

A `Table` is a title, typed columns and rows of plain values; `table_xlsx` writes a header
row and number formats (rates as percentages), `table_csv` writes UTF-8 with a byte-order mark
so that Excel opens Chinese text correctly. Builders turn the selectors' results into tables.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from xinfang.analytics.kpis import KPIS
from xinfang.analytics.selectors import AssessmentRow, BreakdownRow, KpiValue
from xinfang.cases.models import Case

NUMBER_FORMATS = {"int": "0", "rate": "0.00%", "float": "0.00", "date": "yyyy-mm-dd",
                  "datetime": "yyyy-mm-dd hh:mm"}  # fmt: skip
FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | rate | float | date | datetime


@dataclass
class Table:
    title: str
    columns: Sequence[Column]
    rows: Sequence[Mapping[str, Any]] = field(default_factory=list)


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime" and isinstance(value, datetime):
        # Excel has no time zones: write local wall time.
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def table_xlsx(table: Table) -> bytes:
    """The table as an .xlsx workbook: one sheet, bold header row, frozen, typed cells."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 — a new workbook always has its first sheet
    sheet.title = table.title[:31] or "Sheet1"  # Excel's limit on sheet names
    sheet.append([c.label for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in table.rows:
        sheet.append([_cell(row.get(c.key), c.kind) for c in table.columns])
    for i, column in enumerate(table.columns, start=1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = max(10, min(40, len(column.label) * 2 + 2))
        fmt = NUMBER_FORMATS.get(column.kind)
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = fmt
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv_value(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "rate":
        return f"{float(value) * 100:.2f}%"
    if kind == "datetime" and isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def table_csv(table: Table) -> bytes:
    """The table as CSV, UTF-8 with a byte-order mark (Excel reads it as UTF-8 then)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.label for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(row.get(c.key), c.kind) for c in table.columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def table_file(table: Table, fmt: str) -> bytes:
    if fmt == "xlsx":
        return table_xlsx(table)
    if fmt == "csv":
        return table_csv(table)
    raise ValueError(f"format must be one of {FORMATS}")


def table_response(table: Table, fmt: str, filename: str) -> HttpResponse:
    """A download of the table (views call this; `fmt` is validated by the caller)."""
    response = HttpResponse(table_file(table, fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


# --- builders ------------------------------------------------------------------------------


def _kpi_columns(kpis: Iterable[str]) -> list[Column]:
    cols = []
    for kpi in kpis:
        d = KPIS[kpi]
        label = str(d.label)
        cols += [
            Column(f"{kpi}_num", f"{label} {_('分子')}", "int"),
            Column(f"{kpi}_den", f"{label} {_('分母')}", "int"),
        ]
        if d.kind == "rate":
            cols.append(Column(f"{kpi}_rate", label, "rate"))
    return cols


def _kpi_cells(values: Mapping[str, KpiValue]) -> dict[str, Any]:
    cells: dict[str, Any] = {}
    for kpi, v in values.items():
        cells |= {f"{kpi}_num": v.num, f"{kpi}_den": v.den, f"{kpi}_rate": v.rate}
    return cells


def breakdown_table(rows: Sequence[BreakdownRow], *, title: str, key_label: str) -> Table:
    kpis = list(rows[0].kpis) if rows else []
    columns = [
        Column("label", key_label),
        Column("volume", _("信访量"), "int"),
        *_kpi_columns(kpis),
    ]
    return Table(
        title,
        columns,
        [{"label": r.label, "volume": r.volume, **_kpi_cells(r.kpis)} for r in rows],
    )


def assessment_export(rows: Sequence[AssessmentRow], *, title: str) -> Table:
    kpis = list(rows[0].kpis) if rows else []
    columns = [
        Column("rank", _("排名"), "int"),
        Column("org", _("单位")),
        Column("volume", _("信访量"), "int"),
        Column("score", _("综合得分"), "float"),
        *_kpi_columns(kpis),
        Column("note", _("备注")),
    ]
    return Table(
        title,
        columns,
        [
            {
                "rank": r.rank,
                "org": r.org_name,
                "volume": r.volume,
                "score": r.score,
                "note": "" if r.ranked else _("件数不足，不参与排名"),
                **_kpi_cells(r.kpis),
            }
            for r in rows
        ],
    )


def case_list_table(cases: QuerySet[Case], *, title: str, limit: int = 50_000) -> Table:
    """The cases behind a figure — numbers, dates and units only, never petitioners' data."""
    columns = [
        Column("item_number", _("信访件编号")),
        Column("title", _("标题")),
        Column("channel", _("渠道")),
        Column("received_at", _("收到时间"), "datetime"),
        Column("status", _("状态")),
        Column("lead", _("主办单位")),
        Column("due_at", _("办理期限"), "datetime"),
    ]
    rows = [
        {
            "item_number": c.item_number,
            "title": c.title,
            "channel": c.get_channel_display(),
            "received_at": c.received_at,
            "status": c.get_status_display(),
            "lead": c.lead_org.name if c.lead_org else "",
            "due_at": c.due_at,
        }
        for c in cases.select_related("lead_org")[:limit]
    ]
    return Table(title, columns, rows)
