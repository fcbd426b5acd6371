"""Export or import reference data (catalogue, dispatch rules, units, regions) as files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tablib import Dataset

from xinfang.catalog.refdata import FORMATS, RESOURCES


class Command(BaseCommand):
    help = (
        "Export or import reference data. "
        "Examples: refdata export categories -o cats.csv; refdata import dispatch rules.xlsx"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["export", "import"])
        parser.add_argument("table", choices=sorted(RESOURCES))
        parser.add_argument("file", nargs="?", help="file to import (format from its suffix)")
        parser.add_argument("-o", "--output", help="export to this file (default: stdout, CSV)")
        parser.add_argument("--dry-run", action="store_true", help="import: check, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        resource = RESOURCES[options["table"]]()
        if options["action"] == "export":
            self._export(resource, options["output"])
        else:
            self._import(resource, options["file"], dry_run=options["dry_run"])

    def _export(self, resource: Any, output: str | None) -> None:
        dataset = resource.export()
        if output is None:
            sys.stdout.write(dataset.csv)
            return
        fmt = _format_of(output)
        data = dataset.export(fmt)
        Path(output).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        self.stderr.write(f"{len(dataset)} rows written to {output}")

    def _import(self, resource: Any, file: str | None, *, dry_run: bool) -> None:
        if not file:
            raise CommandError("import needs a file", returncode=2)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}", returncode=2)
        fmt = _format_of(file)
        raw = path.read_bytes()
        dataset = Dataset().load(raw if fmt == "xlsx" else raw.decode("utf-8-sig"), format=fmt)
        with transaction.atomic():  # all rows or none
            result = resource.import_data(dataset, dry_run=True, raise_errors=False)
            if result.has_errors() or result.has_validation_errors():
                raise CommandError(_describe(result), returncode=2)
            if not dry_run:
                resource.import_data(dataset, dry_run=False, raise_errors=True)
        totals = ", ".join(f"{k}: {v}" for k, v in result.totals.items() if v)
        verb = "checked" if dry_run else "imported"
        self.stdout.write(
            self.style.SUCCESS(f"{len(dataset)} rows {verb} ({totals or 'no change'})")
        )


def _format_of(name: str) -> str:
    fmt = Path(name).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise CommandError(
            f"unsupported format {fmt!r}; use one of {', '.join(FORMATS)}", returncode=2
        )
    return fmt


def _describe(result: Any) -> str:
    lines = ["the file was not imported; nothing was written:"]
    for error in result.base_errors:
        lines.append(f"  {error.error}")
    for row_number, errors in result.row_errors()[:20]:
        lines.extend(f"  row {row_number}: {e.error}" for e in errors)
    for invalid in result.invalid_rows[:20]:
        for field, messages in invalid.error_dict.items():
            lines.append(f"  row {invalid.number}: {field}: {'; '.join(map(str, messages))}")
    return "\n".join(lines)
