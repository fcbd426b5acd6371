"""The public board in a real browser (issue 5): on a phone, a citizen finds a published case
by a Chinese search term, opens it and likes it; at desk size the same visitor sees the like
already counted and adds "我也遇到".

As in the other browser tests (xinfang/core/tests/browser.py), the database work happens
before the browser opens; in between, only what a person sees is asserted. Screenshots go to
the test's tmp dir, or to $XINFANG_SCREENSHOT_DIR (XINFANG_SCREENSHOT_DIR=docs/screenshots
refreshes the documentation's).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from xinfang.core.tests.browser import (  # the fixtures are used by name
    BROWSER_MISSING,
    BROWSER_REQUIRED,
    DESKTOP_VIEWPORT,
    PHONE_VIEWPORT,
    TIMEOUT_MS,
    browser_available,  # noqa: F401
    launch,
    reference_data,  # noqa: F401
    restore_reference_data,  # noqa: F401
)

if BROWSER_MISSING and not BROWSER_REQUIRED:
    pytest.skip(BROWSER_MISSING, allow_module_level=True)

from xinfang.board.tests.factories import make_publication

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "小区夜间施工噪音扰民"
CONTENT = "某工地每晚十点后仍在施工，噪音很大，严重影响居民休息，请有关部门查处。"
REPLY = "经查，该工地确有夜间施工行为，已责令其停止夜间施工并处以罚款。"
OTHER = "物业擅自提高停车收费标准"


def test_find_open_and_support_a_published_case(live_server: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    make_publication(title=TITLE, content=CONTENT, reply=REPLY)
    make_publication(title=OTHER, content="小区物业未经业主大会同意上调停车费。")
    folder = Path(os.environ.get("XINFANG_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []

    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            # On a phone: search, open, like.
            phone = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
            page = phone.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{live_server.url}/board/")
            page.get_by_label("搜索信访件").fill("噪音")
            page.get_by_role("button", name="搜索", exact=True).click()
            results = page.locator("#board-results")
            expect(results.get_by_role("link", name=TITLE)).to_be_visible()
            expect(results).not_to_contain_text(OTHER)
            page.screenshot(path=str(folder / "board-list-phone.png"), full_page=True)
            results.get_by_role("link", name=TITLE).click()
            expect(page.locator("#case-reply")).to_contain_text("已责令其停止夜间施工")
            expect(page.locator("#case-replied-at")).to_be_visible()
            page.locator("#support-like").click()
            expect(page.locator("#support-count")).to_have_text("1")
            expect(page.locator("#support-like")).to_be_disabled()
            phone.close()

            # At a desk, same visitor (same address, no sign-in): the like is already theirs.
            desk = browser.new_context(viewport=DESKTOP_VIEWPORT, locale="zh-CN")
            page = desk.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{live_server.url}/board/?q=施工噪音")
            page.get_by_role("link", name=TITLE).click()
            expect(page.locator("#support-like")).to_be_disabled()
            page.locator("#support-me_too").click()
            expect(page.locator("#support-count")).to_have_text("2")
            expect(page.locator("#support-me_too")).to_be_disabled()
            page.screenshot(path=str(folder / "board-detail-desktop.png"), full_page=True)
            desk.close()
        finally:
            browser.close()
    assert errors == []
