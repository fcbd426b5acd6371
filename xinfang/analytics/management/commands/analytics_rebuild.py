"""Recompute every KPI fact and rollup from the cases and their events."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from xinfang.analytics.rollup import rollup_rebuild


class Command(BaseCommand):
    help = "重建统计事实与汇总表（全量） / Rebuild KPI facts and rollups from scratch"

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if time.monotonic() - last[0] >= 1 or done == total:
                last[0] = time.monotonic()
                self.stdout.write(f"{done}/{total} cases")

        try:
            count = rollup_rebuild(progress=progress)
        except RuntimeError as exc:
            raise CommandError(f"{exc}; try again later", returncode=2) from exc
        self.stdout.write(f"rebuilt {count} facts in {time.monotonic() - started:.1f}s")
