"""Real 12345 files for the tests: CSV in any encoding and .xlsx written with openpyxl."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

HEADER = [
    "工单编号",
    "来电时间",
    "来电人",
    "来电号码",
    "诉求类型",
    "标题",
    "诉求内容",
    "问题属地",
    "地址",
    "分类",
]


def order(number: str, **overrides: str) -> dict[str, str]:
    row = {
        "工单编号": number,
        "来电时间": "2026-11-20 09:15:00",
        "来电人": "张女士",
        "来电号码": "13907311234",
        "诉求类型": "投诉",
        "标题": "小区路灯长期不亮",
        "诉求内容": f"工单{number}：小区门口路灯坏了一个多月，夜间出行很不安全，请尽快维修。",
        "问题属地": "芙蓉区",
        "地址": "芙蓉区某某路1号",
        "分类": "",
    }
    row.update(overrides)
    return row


def rows_of(orders: Sequence[dict[str, str]], header: Sequence[str] = HEADER) -> list[list[str]]:
    return [[o.get(h, "") for h in header] for o in orders]


def write_csv(
    path: Path,
    orders: Sequence[dict[str, str]],
    *,
    encoding: str = "utf-8",
    header: Sequence[str] = HEADER,
) -> Path:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows_of(orders, header))
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def write_xlsx(
    path: Path, orders: Sequence[dict[str, object]], header: Sequence[str] = HEADER
) -> Path:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "工单"
    ws.append(list(header))
    for o in orders:
        ws.append([o.get(h, "") for h in header])
    book.save(path)
    return path


def read_xlsx(path: Path) -> list[list[object]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows
