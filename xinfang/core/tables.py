"""Tables out to Excel (.xlsx, openpyxl) and CSV: one writer for every export and report.

A `Table` is a title, typed columns and rows of plain values. Text cells are written as text
in both formats — citizens' words reach these files, and a title starting with "=" must not
become a formula (CSV injection; in .xlsx openpyxl would store a formula that reads back blank):
in .xlsx the cell is typed as a string, in CSV it gets a leading "'" that `csv_unescape`
removes when the file comes back (the hotline imports what it exports).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

NUMBER_FORMATS = {"int": "0", "rate": "0.00%", "float": "0.00", "date": "yyyy-mm-dd",
                  "datetime": "yyyy-mm-dd hh:mm"}  # fmt: skip
FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
# Excel (and LibreOffice) run a CSV cell starting with one of these as a formula.
_FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
_ESCAPED_START = re.compile(r"^'+[=+\-@\t\r]")


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


def csv_escape(value: str) -> str:
    """A CSV cell Excel shows as text: one that starts like a formula gets a leading "'"
    (OWASP's advice against CSV injection). So does one already starting with quotes before
    such a character, so that `csv_unescape` tells the two apart and every value round-trips."""
    return f"'{value}" if _FORMULA_START.match(value) else value


def csv_unescape(value: str) -> str:
    """The value `csv_escape` was given: one leading "'" dropped before a formula start."""
    return value[1:] if _ESCAPED_START.match(value) else value


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
        cell.data_type = "s"
    sheet.freeze_panes = "A2"
    for row in table.rows:
        sheet.append([_cell(row.get(c.key), c.kind) for c in table.columns])
    for i, column in enumerate(table.columns, start=1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = max(10, min(40, len(column.label) * 2 + 2))
        fmt = NUMBER_FORMATS.get(column.kind)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
            if fmt:
                cell.number_format = fmt
            elif isinstance(cell.value, str):
                cell.data_type = "s"  # set after the value, which made "=…" a formula
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
    return csv_escape(str(value)) if kind == "text" else str(value)


def table_csv(table: Table, encoding: str = "") -> bytes:
    """The table as CSV; UTF-8 with a byte-order mark by default (Excel then reads it as
    UTF-8), or `encoding` (a 12345 centre's GBK)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([csv_escape(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(row.get(c.key), c.kind) for c in table.columns])
    return out.getvalue().encode(encoding or "utf-8-sig")


def table_file(table: Table, fmt: str, encoding: str = "") -> bytes:
    if fmt == "xlsx":
        return table_xlsx(table)
    if fmt == "csv":
        return table_csv(table, encoding)
    raise ValueError(f"format must be one of {FORMATS}")


def file_response(content: bytes, fmt: str, filename: str) -> HttpResponse:
    """A download of an export already written (`fmt` is validated by the caller)."""
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def table_response(table: Table, fmt: str, filename: str) -> HttpResponse:
    return file_response(table_file(table, fmt), fmt, filename)


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]], title: str = "") -> Table:
    """A table of text columns from a header and rows of strings (files other systems read)."""
    columns = [Column(key=str(i), label=label) for i, label in enumerate(header)]
    return Table(
        title=title,
        columns=columns,
        rows=[{str(i): value for i, value in enumerate(row)} for row in rows],
    )
