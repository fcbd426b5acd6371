"""Recompute every KPI fact and rollup from the cases and their events."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.analytics.rollup import rollup_rebuild, rollups_resum


class Command(BaseCommand):
    help = "重建统计事实与汇总表（全量） / Rebuild KPI facts and rollups from scratch"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rollups-only",
            action="store_true",
            help="只由已有事实重算汇总表（升级新增汇总表后） / re-sum the rollup tables from the "
            "stored facts only (after an upgrade adds a rollup table)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if time.monotonic() - last[0] >= 1 or done == total:
                last[0] = time.monotonic()
                self.stdout.write(f"{done}/{total} cases")

        try:
            if options["rollups_only"]:
                count, what = rollups_resum(), "re-summed the rollups of"
            else:
                count, what = rollup_rebuild(progress=progress), "rebuilt"
        except RuntimeError as exc:
            raise CommandError(f"{exc}; try again later", returncode=2) from exc
        self.stdout.write(f"{what} {count} facts in {time.monotonic() - started:.1f}s")
