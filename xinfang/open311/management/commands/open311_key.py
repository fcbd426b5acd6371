"""Issue an Open311 API key from the command line (the key is printed once)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.open311.services import api_key_issue
from xinfang.orgs.models import Org
from xinfang.orgs.selectors import region_get


class Command(BaseCommand):
    help = "Issue an API key for an Open311 client (POST requests). Prints the key once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--owner", required=True, help="who uses the key, e.g. 长沙市12345")
        parser.add_argument("--contact", default="", help="contact person and phone/e-mail")
        parser.add_argument("--org", default="", help="code of the client's unit")
        parser.add_argument(
            "--region", default="", help="division code: requests must lie inside it"
        )
        parser.add_argument(
            "--token", action="store_true", help="answer POSTs with a token (batch clients)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        owner = options["owner"].strip()
        if not owner:
            raise CommandError("--owner may not be empty", returncode=2)
        org = None
        if options["org"]:
            org = Org.objects.filter(code=options["org"]).first()
            if org is None:
                raise CommandError(f"unknown unit code {options['org']!r}", returncode=2)
        region = None
        if options["region"]:
            region = region_get(code=options["region"])
            if region is None:
                raise CommandError(f"unknown division code {options['region']!r}", returncode=2)
        issued = api_key_issue(
            owner=owner,
            contact=options["contact"],
            org=org,
            region=region,
            returns_token=options["token"],
        )
        self.stderr.write(f"issued key {issued.api_key.prefix}… for {owner}; store it now:")
        self.stdout.write(issued.raw)
