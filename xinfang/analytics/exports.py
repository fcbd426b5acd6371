"""Every analytics table to Excel and CSV: builders that turn the selectors' results into
`core.tables.Table`s, written by the one table writer there."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from xinfang.analytics.kpis import KPIS
from xinfang.analytics.selectors import AssessmentRow, BreakdownRow, KpiValue
from xinfang.cases.models import Case
from xinfang.core.tables import Column, Table

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
