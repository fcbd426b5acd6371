"""Compile locale/*/LC_MESSAGES/*.po to .mo with polib (no GNU gettext needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the translation catalogues (.po → .mo)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            import polib
        except ImportError as exc:  # polib is a development dependency
            raise CommandError("polib is not installed: run `make setup` first") from exc
        count = 0
        for base in settings.LOCALE_PATHS:
            for po_path in Path(base).glob("*/LC_MESSAGES/*.po"):
                catalogue = polib.pofile(str(po_path))
                catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
                untranslated = len(catalogue.untranslated_entries())
                self.stdout.write(
                    f"{po_path}: {len(catalogue)} entries, {untranslated} untranslated"
                )
                count += 1
        if count == 0:
            raise CommandError("no .po files found under LOCALE_PATHS")
