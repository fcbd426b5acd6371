from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.triage.hotspots import LINK_SIMILARITY, hot_issues
from xinfang.triage.management.commands._common import data_argument, rows_read
from xinfang.triage.offline import DETAIL, ID, TIME, TITLE, DataError, hot_items

MIN_SIZE = 3


class Command(BaseCommand):
    help = (
        'Hot issues of a messages CSV: one JSON line per message {"id", "cluster"}; cluster '
        f"is the issue's rank (0 = highest score), -1 outside every issue of ≥ {MIN_SIZE}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        data_argument(parser)
        parser.add_argument("--min-size", type=int, default=MIN_SIZE)
        parser.add_argument(
            "--window-days",
            type=int,
            default=0,
            help="only the days before the newest message (default 0: the whole file)",
        )
        parser.add_argument("--link", type=float, default=LINK_SIMILARITY)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["min_size"] < 2 or options["window_days"] < 0:
            raise CommandError("--min-size must be ≥ 2 and --window-days ≥ 0", returncode=2)
        rows = rows_read(options["data"], (ID, TITLE, TIME, DETAIL))
        try:
            items = hot_items(rows)
        except (DataError, ValueError) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        cluster_of: dict[str, int] = {}
        if items:
            now = max(it.created_at for it in items)
            oldest = min(it.created_at for it in items)
            days = options["window_days"] or (now - oldest).days + 2
            issues = hot_issues(
                items, now=now, window_days=days, min_size=options["min_size"], link=options["link"]
            )
            cluster_of = {str(i): rank for rank, issue in enumerate(issues) for i in issue.ids}
        for item in items:
            line = {"id": item.id, "cluster": cluster_of.get(str(item.id), -1)}
            self.stdout.write(json.dumps(line, ensure_ascii=False))
