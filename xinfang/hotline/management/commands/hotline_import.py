"""manage.py hotline_import FILE [--mapping M.json] [--dry-run] [--partial] [--errors OUT.csv]

Exit codes: 0 all rows fine; 1 --partial and some rows were rejected (the good ones are in);
2 the file or mapping is unusable, or rows are bad and nothing was imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.core.errors import ApplicationError
from xinfang.hotline.mapping import mapping_load
from xinfang.hotline.reports import errors_csv, report_lines
from xinfang.hotline.services import workorders_import
from xinfang.hotline.tabular import read_table


class Command(BaseCommand):
    help = "Import 12345 work orders from CSV (UTF-8/GBK) or .xlsx as hotline petitions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV or .xlsx export of the 12345 system")
        parser.add_argument("--mapping", help="JSON field mapping overriding the default")
        parser.add_argument("--dry-run", action="store_true", help="check only; store nothing")
        parser.add_argument(
            "--partial", action="store_true", help="import the good rows even if others are bad"
        )
        parser.add_argument("--errors", metavar="OUT.csv", help="write the row errors here")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            mapping = mapping_load(options["mapping"])
            data = path.read_bytes()
            table = read_table(
                data, filename=path.name, encoding=mapping.encoding, sheet=mapping.sheet
            )
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=2) from exc
        except ApplicationError as exc:
            raise CommandError(f"{exc.message.zh} / {exc.message.en}", returncode=2) from exc
        self.stdout.write(f"{path.name}: {len(table.rows)} rows")
        report = workorders_import(
            table=table,
            mapping=mapping,
            dry_run=options["dry_run"],
            partial=options["partial"],
            source=path.name,
            progress=lambda done, total: self.stdout.write(f"  {done}/{total}"),
        )
        if options["errors"]:
            Path(options["errors"]).write_bytes(errors_csv(report.errors))
        for line in report_lines(report):
            self.stdout.write(line)
        for error in report.errors[:20]:
            self.stderr.write(f"  row {error.row} [{error.column}] {error.message.zh}")
        if len(report.errors) > 20:
            self.stderr.write(f"  … {len(report.errors) - 20} more (see --errors)")
        if report.unusable:
            raise CommandError("the file does not fit the mapping; nothing imported", returncode=2)
        if report.errors and not (report.partial and not report.dry_run):
            raise CommandError(f"{report.rejected_rows} bad rows; nothing imported", returncode=2)
        if report.errors:
            raise CommandError(f"{report.rejected_rows} rows rejected", returncode=1)
