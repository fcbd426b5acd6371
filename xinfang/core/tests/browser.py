"""What every browser test shares: where Chromium is, how to launch it, and the reference data
that `transaction=True` flushes away.

The live server answers from another thread, so browser tests are `transaction=True` and
pytest-django empties every table after each one. That also removes the reference data the rest
of the suite expects: Hunan's regions and the calendar (loaded once by conftest.py), and the
catalogue and document templates (installed by data migrations). `reference_data` puts them
back before each browser test and `restore_reference_data` once the module is done, so tests
that run later in the same process (with or without xdist) still find them.

A test module uses them by importing the fixtures by name, and skips itself (or fails, with
XINFANG_REQUIRE_BROWSER=1) when BROWSER_MISSING says why Chromium cannot run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from xinfang.core import refcache

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_VIEWPORT = {"width": 390, "height": 844}
DESKTOP_VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000
# The years conftest.py loads into the calendar.
CALENDAR_YEARS = (2025, 2026, 2027)


def _browser_missing() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (install Debian's chromium: make test-browser-deps)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return ""


BROWSER_MISSING = _browser_missing()
BROWSER_REQUIRED = os.environ.get("XINFANG_REQUIRE_BROWSER") == "1"


def ensure_reference_data() -> None:
    """Regions, catalogue, calendar and document templates, loaded again if a flush removed them."""
    from xinfang.catalog.defaults import install_defaults
    from xinfang.catalog.models import Category, DeadlineProfile, PetitionType
    from xinfang.clock.models import CalendarYear
    from xinfang.clock.services import calendar_load_year
    from xinfang.documents.services import template_defaults_install
    from xinfang.orgs.models import Region
    from xinfang.orgs.services import region_load_divisions

    if not Region.objects.exists():
        region_load_divisions(province="43", township_cities=["4301"])
    if not (PetitionType.objects.exists() and Category.objects.exists()):
        install_defaults(Category, DeadlineProfile, PetitionType)
    if not CalendarYear.objects.exists():
        for year in CALENDAR_YEARS:
            calendar_load_year(year=year)
    template_defaults_install()
    # Cached Region / PetitionType / calendar objects would carry the state of deleted rows.
    refcache.clear()


@pytest.fixture(autouse=True)
def browser_available() -> None:
    """With XINFANG_REQUIRE_BROWSER=1 (CI) a missing browser fails the tests, not skips them."""
    if BROWSER_MISSING:
        pytest.fail(f"browser tests required (XINFANG_REQUIRE_BROWSER=1) but {BROWSER_MISSING}")


@pytest.fixture(scope="module", autouse=True)
def restore_reference_data(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """After the module's last flush, leave the test database as conftest.py set it up."""
    yield
    with django_db_blocker.unblock():
        ensure_reference_data()


@pytest.fixture(autouse=True)
def reference_data(transactional_db: Any) -> None:
    ensure_reference_data()


def launch(pw: Any) -> Any:
    """Debian's Chromium, headless; Playwright downloads no browser of its own."""
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
