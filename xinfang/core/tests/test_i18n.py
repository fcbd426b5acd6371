from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_english_catalogue_is_complete_and_compiled(tmp_path: Path) -> None:
    catalogue = polib.pofile(str(PO))
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    fresh = tmp_path / "django.mo"
    catalogue.save_as_mofile(str(fresh))
    # The committed .mo must be the compiled .po: run `make messages` after editing it.
    assert fresh.read_bytes() == PO.with_suffix(".mo").read_bytes()


@pytest.mark.django_db
def test_portal_defaults_to_chinese_and_switches_to_english(client: Client) -> None:
    assert "我要信访" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert "Submit a petition" in html
    assert 'lang="en"' in html
