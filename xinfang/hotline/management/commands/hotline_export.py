"""manage.py hotline_export --format csv|xlsx [--since DATE] [--until DATE] [--mapping M] OUT

Writes hotline petitions in the 12345 column layout of the mapping, so the file imports back.
Dates are local (Asia/Shanghai); --until is exclusive.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.clock.engine import TZ
from xinfang.core.errors import ApplicationError
from xinfang.hotline.mapping import mapping_load
from xinfang.hotline.services import workorders_export


def _date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=TZ)
    except ValueError as exc:
        raise CommandError(f"not a date: {text!r} (use YYYY-MM-DD)", returncode=2) from exc


class Command(BaseCommand):
    help = "Export hotline petitions as a 12345 work-order file (CSV or .xlsx)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", help="file to write")
        parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
        parser.add_argument("--since", help="from this date/time (inclusive)")
        parser.add_argument("--until", help="to this date/time (exclusive)")
        parser.add_argument("--mapping", help="JSON field mapping overriding the default")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            mapping = mapping_load(options["mapping"])
        except ApplicationError as exc:
            raise CommandError(f"{exc.message.zh} / {exc.message.en}", returncode=2) from exc
        content, count = workorders_export(
            mapping=mapping,
            fmt=options["format"],
            since=_date(options["since"]),
            until=_date(options["until"]),
        )
        try:
            Path(options["out"]).write_bytes(content)
        except OSError as exc:
            raise CommandError(
                f"cannot write {options['out']}: {exc.strerror}", returncode=2
            ) from exc
        self.stdout.write(f"{count} work orders written to {options['out']}")
