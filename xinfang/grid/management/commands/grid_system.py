"""Connect a grid system: create it (or issue new credentials) and print them once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from xinfang.grid.models import GridSystem
from xinfang.grid.services import (
    IssuedCredentials,
    grid_system_create,
    grid_system_disable,
    grid_system_rotate,
)
from xinfang.orgs.selectors import region_get


class Command(BaseCommand):
    help = (
        "Create a grid system or rotate its credentials. Examples: "
        "grid_system create furong-grid '芙蓉区网格化服务管理平台' 430102 --signed; "
        "grid_system rotate furong-grid; grid_system disable furong-grid"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "rotate", "disable"])
        parser.add_argument("code", help="short code, letters, digits and -")
        parser.add_argument("name", nargs="?", default="", help="create: display name")
        parser.add_argument("region", nargs="?", default="", help="create: division code")
        parser.add_argument("--signed", action="store_true", help="require HMAC-signed requests")

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["code"]
        if options["action"] == "create":
            self._print(self._create(code, options["name"], options["region"], options["signed"]))
            return
        system = GridSystem.objects.filter(code=code).first()
        if system is None:
            raise CommandError(f"no grid system {code!r}", returncode=2)
        if options["action"] == "disable":
            grid_system_disable(system=system)
            self.stdout.write(f"{code}: disabled")
            return
        self._print(grid_system_rotate(system=system, signed=options["signed"] or None))

    def _create(self, code: str, name: str, region_code: str, signed: bool) -> IssuedCredentials:
        region = region_get(code=region_code) if region_code else None
        if not name or region is None:
            raise CommandError("create needs a name and a known division code", returncode=2)
        try:
            return grid_system_create(code=code, name=name, region=region, signed=signed)
        except IntegrityError as exc:
            raise CommandError(f"grid system {code!r} exists; use rotate", returncode=2) from exc

    def _print(self, issued: IssuedCredentials) -> None:
        # Shown once: only the token's hash is stored.
        self.stdout.write(f"system: {issued.system.code} ({issued.system.region.code})")
        self.stdout.write(f"token: {issued.token}")
        if issued.signing_secret:
            self.stdout.write(f"signing secret: {issued.signing_secret}")
