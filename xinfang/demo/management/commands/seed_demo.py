from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.cases.models import Case
from xinfang.demo import units
from xinfang.demo.channels import channels_create
from xinfang.demo.services import board_publish, petitions_create, workflow_walk
from xinfang.documents.services import template_defaults_install
from xinfang.orgs.models import Region


class Command(BaseCommand):
    help = "Seed the Hunan demo: regions, units, dispatch catalogue, accounts, petitions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--petitions",
            type=int,
            default=300,
            help="demo petitions to have in total (default 300)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        wanted = options["petitions"]
        if wanted < 0:
            raise CommandError("--petitions must be zero or more", returncode=2)
        if not Region.objects.exists():
            call_command("regions_load", province="43", townships="4301", stdout=self.stdout)
        units.units_create(progress=self.stdout.write)
        rules = units.dispatch_rules_create()
        self.stdout.write(f"{rules} dispatch rules")
        accounts = units.accounts_create()
        channel_lines = channels_create(progress=self.stdout.write)
        missing = wanted - Case.objects.count()
        if missing > 0:
            petitions_create(count=missing, progress=self.stdout.write)
            template_defaults_install()
            workflow_walk(progress=self.stdout.write)
            board_publish(progress=self.stdout.write)
            # The dashboards read rollups; build them now rather than at the job's first run.
            call_command("analytics_rebuild", stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"{Case.objects.count()} petitions in the database"))
        self.stdout.write(f"\nDemo accounts (password: {units.DEMO_PASSWORD})")
        for username, role, unit in accounts:
            self.stdout.write(f"  {username:<11} {role:<18} {unit}")
        self.stdout.write("\nDemo channels (demo credentials, see docs/channels.md)")
        for name, how in channel_lines:
            self.stdout.write(f"  {name}")
            for line in how.splitlines():
                self.stdout.write(f"    {line}")
