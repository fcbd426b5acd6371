"""The file formats alone: CSV cells Excel would run as formulas are written as text."""

from __future__ import annotations

import pytest

from xinfang.core.tables import table_csv, text_table
from xinfang.hotline.tabular import cell_text, read_csv

VALUES = [
    "=1+1",
    "+8613907311234",
    "-5",
    "@SUM(A1)",
    "\t=cmd",
    "\r=cmd",
    "'=already quoted",
    "''+two quotes",
    "'plain quote",
    "普通文字",
    "",
]


@pytest.mark.parametrize("encoding", ["", "gbk"])
def test_csv_escapes_formula_starts_and_reads_them_back_unchanged(encoding: str) -> None:
    data = table_csv(text_table(["标题"], [[v] for v in VALUES]), encoding)
    written = data.decode(encoding or "utf-8-sig")
    assert "\n'=1+1" in written.replace("\r\n", "\n")
    assert "\n'+8613907311234" in written.replace("\r\n", "\n")
    table = read_csv(data, encoding)
    assert [row[0] for _, row in table.rows] == [v for v in VALUES if v]


def test_a_quote_before_other_text_is_kept() -> None:
    table = read_csv("标题\n'abc\n'=x\n".encode())
    assert [cell_text(row[0]) for _, row in table.rows] == ["'abc", "=x"]
