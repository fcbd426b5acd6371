from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from xinfang.clock.services import calendar_load_year


def _years(spec: str) -> list[int]:
    first, _, last = spec.partition("-")
    try:
        years = list(range(int(first), int(last or first) + 1))
    except ValueError as exc:
        raise CommandError(f"--years takes YYYY or YYYY-YYYY, got {spec!r}", returncode=2) from exc
    if not years or years[0] < 2000 or years[-1] > 2100:
        raise CommandError(f"--years out of range: {spec!r}", returncode=2)
    return years


class Command(BaseCommand):
    help = "Load statutory holidays and 调休 working weekends into the holiday table."

    def add_arguments(self, parser: CommandParser) -> None:
        this_year = timezone.localdate().year
        parser.add_argument(
            "--years",
            default=f"{this_year - 1}-{this_year + 1}",
            help="YYYY or YYYY-YYYY (default: last, this and next year)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for year in _years(options["years"]):
            report = calendar_load_year(year=year)
            self.stdout.write(
                f"{year}: {report.source}, {report.rest_days} rest days off the weekly rule, "
                f"{report.work_weekends} weekends worked in lieu"
            )
            for line in report.disagreements:
                self.stderr.write(f"  sources disagree — {line}")
