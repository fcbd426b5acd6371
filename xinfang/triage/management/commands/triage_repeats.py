from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.triage.management.commands._common import data_argument, rows_read
from xinfang.triage.offline import DUPLICATE, MESSAGE_COLUMNS, repeat_links
from xinfang.triage.selectors import SAME_MATTER


def _share(value: str) -> float:
    number = float(value)
    if not 0.0 < number <= 1.0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Repeat petitions and near-duplicates in a messages CSV, in memory (no database "
        'writes): one JSON line per message {"id", "repeat_of", "similar"}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        data_argument(parser)
        parser.add_argument(
            "--same-matter",
            type=_share,
            default=SAME_MATTER,
            help=f"Jaccard estimate for the same user's same matter (default {SAME_MATTER})",
        )
        parser.add_argument(
            "--duplicate",
            type=_share,
            default=DUPLICATE,
            help=f"Jaccard estimate for other users' near-duplicates (default {DUPLICATE})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["same_matter"] > options["duplicate"]:
            raise CommandError("--same-matter must not exceed --duplicate", returncode=2)
        rows = rows_read(options["data"], MESSAGE_COLUMNS)
        links = repeat_links(
            rows, same_matter=options["same_matter"], duplicate=options["duplicate"]
        )
        for item in links:
            line = {"id": item.id, "repeat_of": item.repeat_of, "similar": item.similar}
            self.stdout.write(json.dumps(line, ensure_ascii=False))
