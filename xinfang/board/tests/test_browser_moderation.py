"""Moderation approval in a real browser (issue 5): a bureau supervisor opens the queue, reads
the redacted proposal, has an edit that still holds a phone number refused, corrects it and
publishes; the public page then shows the edited text and no personal data.

As in the workbench's browser test, the database work (world, replied case, proposal) happens
before the browser opens; in between, only what the supervisor and the public see is asserted.
Screenshots go to the test's tmp dir, or to $XINFANG_SCREENSHOT_DIR (docs/screenshots to refresh
board-moderation.png in the documentation).
"""

from __future__ import annotations

import os
import re
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
EDITED = "某工地每晚十点后仍在施工，噪音很大，请有关部门查处。"
PII = ("13907311234", "李明", "湘A12345", "liming@163.com", "王建国")


def _screenshot_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("XINFANG_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _proposal() -> tuple[Any, Any]:
    from xinfang.board.services import publication_propose
    from xinfang.board.tests.replied import opinion_issued_case
    from xinfang.handling.tests.world import build_world

    w = build_world()
    publication = publication_propose(case=opinion_issued_case(w))
    assert publication is not None
    return w, publication


def sign_in(page: Any, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/staff/")
    page.wait_for_url(re.compile(r"/staff/auth/login/\?next="))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("我的工作")


def test_a_supervisor_edits_and_approves_a_proposal(live_server: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    w, publication = _proposal()
    item_number = publication.case.item_number
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
            sign_in(page, w.supervisor.username)

            page.get_by_role("link", name="公开审核").click()
            page.wait_for_url("**/staff/board/")
            row = page.locator("table.board-queue tbody tr", has_text=item_number)
            expect(row).to_have_count(1)
            row.get_by_role("link", name=item_number).click()
            page.wait_for_url(re.compile(r"/staff/board/\d+/$"))
            expect(page.get_by_test_id("pub-status")).to_have_attribute("data-status", "pending")
            expect(page.get_by_test_id("redaction-counts")).to_contain_text("姓名：3")
            content = page.get_by_label("诉求（已脱敏）")
            expect(content).to_have_value(re.compile(r"\[手机号\]"))
            for value in PII:
                assert value not in page.content()
            page.screenshot(path=str(shots / "board-moderation.png"), full_page=True)

            # An edit that brings a phone number back is refused, field by field.
            content.fill(EDITED + "电话13907311234")
            page.get_by_role("button", name="审核通过并公开").click()
            expect(page.locator(".field-error")).to_contain_text("仍含有个人信息：电话号码")
            expect(page.get_by_test_id("pub-status")).to_have_attribute("data-status", "pending")

            page.get_by_label("诉求（已脱敏）").fill(EDITED)
            page.get_by_label("审核说明").fill("删去住址和联系方式")
            page.get_by_role("button", name="审核通过并公开").click()
            expect(page.get_by_test_id("pub-status")).to_have_attribute("data-status", "published")
            expect(page.locator("li[data-version='2']")).to_contain_text("批准公开")

            page.get_by_test_id("public-link").click()
            page.wait_for_url(re.compile(r"/board/\d+/$"))
            expect(page.locator("body")).to_contain_text(EDITED)
            public = page.content()
            for value in PII:
                assert value not in public
        finally:
            browser.close()
    assert errors == []

    from xinfang.board.models import Publication, PublicationStatus

    row = Publication.objects.get(pk=publication.pk)
    assert (row.status, row.version, row.content) == (PublicationStatus.PUBLISHED, 2, EDITED)
