from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.orgs.services import region_load_divisions


class Command(BaseCommand):
    help = "Load a province's administrative divisions (and townships of chosen cities)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--province",
            default=settings.XINFANG_PROVINCE,
            help="two-digit province code (default: XINFANG_PROVINCE)",
        )
        parser.add_argument(
            "--townships",
            default="",
            help="comma-separated 4-digit city codes whose townships to load",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        province = options["province"]
        if not (province.isdigit() and len(province) == 2):
            raise CommandError(
                f"--province must be a two-digit code, got {province!r}", returncode=2
            )
        cities = [c.strip() for c in options["townships"].split(",") if c.strip()]
        if any(not (c.isdigit() and len(c) == 4) for c in cities):
            raise CommandError("--townships takes 4-digit city codes, e.g. 4301", returncode=2)
        try:
            count = region_load_divisions(
                province=province, township_cities=cities, progress=self.stdout.write
            )
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(self.style.SUCCESS(f"{count} regions loaded for province {province}"))
