"""How an import's outcome reads: a summary for people and the row errors as CSV."""

from __future__ import annotations

from collections.abc import Sequence

from xinfang.core.tables import table_csv, text_table
from xinfang.hotline.rows import RowError
from xinfang.hotline.services import ImportReport

ERROR_HEADER = ("行号 row", "列 column", "问题", "message")


def errors_csv(errors: Sequence[RowError]) -> bytes:
    """The row-level error report: row number, column, message in Chinese and English."""
    rows = [[str(e.row), e.column, e.message.zh, e.message.en] for e in errors]
    return table_csv(text_table(ERROR_HEADER, rows))


def report_lines(report: ImportReport) -> list[str]:
    mode = "dry run" if report.dry_run else ("partial" if report.partial else "all-or-nothing")
    verb = "would create" if report.dry_run else "created"
    lines = [
        f"rows: {report.rows} ({mode})",
        f"{verb}: {report.created}",
        f"already imported: {report.existing}",
        f"rows with errors: {report.rejected_rows} ({len(report.errors)} errors)",
    ]
    if report.errors and not report.dry_run and not report.partial:
        lines.append("nothing imported: fix the rows or use --partial")
    return lines
