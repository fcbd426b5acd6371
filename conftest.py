"""Shared test set-up: regions loaded once per test database, media in a temp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from xinfang.core import refcache


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """Hunan's divisions (with Changsha's townships) in every test database, loaded once."""
    from xinfang.clock.services import calendar_load_year
    from xinfang.orgs.models import Region
    from xinfang.orgs.services import region_load_divisions

    with django_db_blocker.unblock():
        if not Region.objects.exists():
            region_load_divisions(province="43", township_cities=["4301"])
        for year in (2025, 2026, 2027):  # 2027: rule-based, as on a real late-2026 install
            calendar_load_year(year=year)


@pytest.fixture
def admin_client(admin_user: Any) -> Any:
    """pytest-django's admin_client, plus the second factor the admin asks of superusers."""
    from django.test import Client

    from xinfang.signin.tests.helpers import force_login_verified

    client = Client()
    force_login_verified(client, admin_user)
    return client


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    refcache.clear()
    yield
    refcache.clear()
    # A test that switched the UI language must not leave it switched for the next one.
    translation.activate(settings.LANGUAGE_CODE)
