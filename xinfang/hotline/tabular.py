"""Tables in: CSV (UTF-8 with or without BOM, GBK) and Excel .xlsx (openpyxl). Files go out
through `core.tables` (whose CSV escaping `read_csv` undoes, so exports import back unchanged).

Only the file format lives here; what the columns mean is `mapping`'s and `services`' business.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from xinfang.core.errors import ApplicationError, Msg
from xinfang.core.tables import csv_unescape

XLSX_MAGIC = b"PK\x03\x04"
# A 12345 centre's daily export has a few thousand rows; this bounds memory on a bad upload.
MAX_ROWS = 200_000


class BadFile(ApplicationError):
    code = "bad_file"


@dataclass(frozen=True)
class Table:
    """A header and the rows under it, each with its row number in the file (1 = header)."""

    header: list[str]
    rows: list[tuple[int, list[Any]]]


def _bad(zh: str, en: str) -> BadFile:
    return BadFile(Msg(f"文件无法读取：{zh}", f"Cannot read the file: {en}"))


def is_xlsx(data: bytes, filename: str = "") -> bool:
    return filename.lower().endswith(".xlsx") or data.startswith(XLSX_MAGIC)


def decode_csv(data: bytes, encoding: str = "") -> str:
    """Text of a CSV file: the given encoding, else UTF-8 (BOM or not), else GB18030 (a
    superset of GBK, which Excel on Chinese Windows writes)."""
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise _bad(f"不是 {encoding} 编码", f"not {encoding}-encoded") from exc
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise _bad("既不是 UTF-8 也不是 GBK 编码", "neither UTF-8 nor GBK") from exc


def _blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _table(numbered: Iterable[tuple[int, Sequence[Any]]]) -> Table:
    header: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    for number, cells in numbered:
        if _blank(cells):
            continue
        if header is None:
            header = [str(c).strip() if c is not None else "" for c in cells]
            continue
        rows.append((number, list(cells)))
        if len(rows) > MAX_ROWS:
            raise _bad(f"超过 {MAX_ROWS} 行，请分批导入", f"more than {MAX_ROWS} rows; split it")
    if header is None:
        raise _bad("文件为空", "the file is empty")
    return Table(header=header, rows=rows)


def read_csv(data: bytes, encoding: str = "") -> Table:
    text = decode_csv(data, encoding)
    lines = csv.reader(io.StringIO(text, newline=""))
    try:
        return _table(enumerate(([csv_unescape(c) for c in cells] for cells in lines), start=1))
    except csv.Error as exc:
        raise _bad(f"CSV 格式错误（{exc}）", f"malformed CSV ({exc})") from exc


def read_xlsx(data: bytes, sheet: str = "") -> Table:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise _bad("不是有效的 .xlsx 文件", "not a valid .xlsx workbook") from exc
    try:
        if sheet and sheet not in book.sheetnames:
            raise _bad(f"没有名为“{sheet}”的工作表", f"no sheet named {sheet!r}")
        ws = book[sheet] if sheet else book.worksheets[0]
        return _table(enumerate(ws.iter_rows(values_only=True), start=1))
    finally:
        book.close()


def read_table(data: bytes, *, filename: str = "", encoding: str = "", sheet: str = "") -> Table:
    if is_xlsx(data, filename):
        return read_xlsx(data, sheet)
    return read_csv(data, encoding)


def cell_text(value: Any) -> str:
    """A cell as text: Excel numbers without a trailing ".0", dates as ISO, blanks as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()
