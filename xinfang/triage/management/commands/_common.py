"""What the triage commands share: reading the CSV, bad input as exit status 2, progress."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from xinfang.triage.offline import DataError, csv_read

PROGRESS_EVERY = 2000


def data_argument(parser: CommandParser) -> None:
    parser.add_argument("--data", required=True, type=Path, help="CSV file (UTF-8 or GB18030)")


def rows_read(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        return csv_read(path, required=required)
    except DataError as exc:
        raise CommandError(str(exc), returncode=2) from exc


def progress(done: int, total: int, what: str) -> None:
    """On stderr, so that stdout stays one JSON document per line."""
    if total >= PROGRESS_EVERY and (done % PROGRESS_EVERY == 0 or done == total):
        print(f"{what}: {done}/{total}", file=sys.stderr, flush=True)
