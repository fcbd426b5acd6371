"""The province dashboard in a real browser: a province bureau supervisor signs in, follows the
workbench's 统计分析 link, picks the year 2025, sees the ECharts charts drawn (canvases, no
script errors), clicks the on-time completion figure and lands on the list of its cases.

The data (kpi_world's petitions, the rollups, a hot issue) is made before the browser opens.
Screenshots go to the test's tmp dir, or to $XINFANG_SCREENSHOT_DIR (docs/screenshots to
refresh analytics-dashboard.png and analytics-drilldown.png in the documentation).
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from xinfang.core.tests.browser import (  # the fixtures are used by name
    BROWSER_MISSING,
    BROWSER_REQUIRED,
    DESKTOP_VIEWPORT,
    TIMEOUT_MS,
    browser_available,  # noqa: F401
    launch,
    reference_data,  # noqa: F401
    restore_reference_data,  # noqa: F401
)

if BROWSER_MISSING and not BROWSER_REQUIRED:
    pytest.skip(BROWSER_MISSING, allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-only"  # make_staff's


def _screenshot_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("XINFANG_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _data() -> tuple[Any, set[str]]:
    """The province supervisor, and the item numbers behind K-2's numerator in 2025."""
    from xinfang.analytics.rollup import rollup_refresh
    from xinfang.analytics.tests.kpi_world import build_kpi_world
    from xinfang.clock.engine import TZ
    from xinfang.orgs.permissions import Role
    from xinfang.orgs.tests.factories import make_bureau, make_staff
    from xinfang.triage.hotwatch import hot_issues_refresh
    from xinfang.triage.tests.test_hotspots import NOISE
    from xinfang.triage.tests.test_hotwatch import NOW, petitions

    kw = build_kpi_world()
    supervisor = make_staff(org=make_bureau("430000"), role=Role.BUREAU_SUPERVISOR)
    petitions(NOISE)
    hot_issues_refresh(now=NOW)
    rollup_refresh(now=datetime(2026, 1, 15, 9, tzinfo=TZ))
    on_time = {kw.cases[k].item_number for k in "ACDEG"}  # test_kpi_formulas, by hand
    return supervisor, on_time


def _console(message: Any, errors: list[str]) -> None:
    # The test server has no favicon; the browser asks for one on its own.
    if message.type == "error" and "favicon" not in (message.location or {}).get("url", ""):
        errors.append(message.text)


def sign_in(page: Any, username: str) -> None:
    page.goto("/staff/")
    page.wait_for_url(re.compile(r"/staff/auth/login/\?next="))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/staff/$"))


def test_the_province_dashboard_draws_and_drills_down(live_server: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    supervisor, on_time = _data()
    shots = _screenshot_dir(tmp_path)
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            context = browser.new_context(
                viewport=DESKTOP_VIEWPORT, locale="zh-CN", base_url=live_server.url
            )
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: _console(m, errors))
            sign_in(page, supervisor.username)

            page.get_by_role("link", name="统计分析").click()
            page.wait_for_url("**/staff/analytics/")
            dashboard = page.get_by_test_id("dashboard")
            expect(dashboard).to_have_attribute("data-level", "province")
            expect(page.get_by_role("heading", level=1)).to_have_text("湖南省 · 省级统计")

            # The period picker: the year 2025.
            page.locator("#id_period").select_option("year")
            page.locator("#id_year").fill("2025")
            page.get_by_role("button", name="查看").click()
            page.wait_for_url(re.compile(r"year=2025"))
            for chart in ("volume", "category", "area"):
                node = page.locator(f"[data-chart={chart}]")
                expect(node).to_have_attribute("data-rendered", "true")
                expect(node.locator("canvas")).to_have_count(1)
            expect(page.locator('li[data-kpi="K2"] .nd')).to_have_text("5 / 7")
            expect(page.locator("[data-testid=hot] tr.an-growing")).to_contain_text("快速增长")
            page.screenshot(path=str(shots / "analytics-dashboard.png"), full_page=True)

            page.get_by_test_id("figure-K2").click()
            page.wait_for_url(re.compile(r"/staff/analytics/cases/\?.*kpi=K2"))
            expect(page.get_by_role("heading", level=1)).to_have_attribute("data-kpi", "K2")
            expect(page.get_by_test_id("total")).to_have_text("5")
            links = page.locator("[data-testid=case-list] th a")
            expect(links).to_have_count(5)
            assert set(links.all_inner_texts()) == on_time
            page.screenshot(path=str(shots / "analytics-drilldown.png"), full_page=True)

            # A row opens the case in the workbench.
            links.first.click()
            page.wait_for_url(re.compile(r"/staff/cases/\d+/$"))
        finally:
            browser.close()
    assert errors == []
