"""A proxy agent in a real browser: sign in, fill the citizen form plus the authorisation
(its inputs sit outside the reused form and join it through form="petition-form"), submit,
and land on the petition's progress page. Same set-up rules as intake's browser tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from xinfang.cases.models import Case
from xinfang.core.tests.browser import (  # the fixtures are used by name
    BROWSER_MISSING,
    BROWSER_REQUIRED,
    PHONE_VIEWPORT,
    TIMEOUT_MS,
    browser_available,  # noqa: F401
    launch,
    reference_data,  # noqa: F401
    restore_reference_data,  # noqa: F401
)
from xinfang.grid.models import ProxyAuthorisation
from xinfang.orgs.models import OrgKind
from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_bureau, make_org, make_staff
from xinfang.signin.tests.helpers import PASSWORD

if BROWSER_MISSING and not BROWSER_REQUIRED:
    pytest.skip(BROWSER_MISSING, allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def agent_name(transactional_db: Any) -> str:  # after the autouse reference_data
    make_bureau("430102")
    village = make_org(kind=OrgKind.COMMUNITY, region_code="430102", name="某社区居委会")
    return make_staff(org=village, role=Role.PROXY_AGENT, username="grid-agent").username


def test_grid_worker_submits_for_a_petitioner(
    live_server: Any, agent_name: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = Path(os.environ.get("XINFANG_SCREENSHOT_DIR") or tmp_path)
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_context(
                viewport=PHONE_VIEWPORT, locale="zh-CN", base_url=live_server.url
            ).new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto("/proxy/new/")
            page.locator("#id_username").fill(agent_name)
            page.locator("#id_password").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            expect(page.locator("#proxy-authority")).to_be_visible()
            page.locator("#relation").select_option("grid_worker")
            page.locator("#no_document_reason").fill("老人行动不便，由网格员上门代为提交")
            page.locator("#petitioner_consent").check()
            page.locator("#agent_phone").fill("13807319999")
            for level, label in ((2, "长沙市"), (3, "芙蓉区")):
                page.locator(f"#region-{level}").select_option(label=label)
            page.locator("#petition_type").select_option("appeal")
            page.locator("#title").fill("独居老人房屋漏雨")
            page.locator("#content").fill(
                "社区独居老人家屋顶漏雨半年，多次反映未解决，请帮助维修。"
            )
            page.locator("#name").fill("李秀英")
            page.locator("#phone").fill("13907311234")
            page.screenshot(path=str(shots / "proxy-form.png"), full_page=True)
            page.locator("#submit-btn").click()
            expect(page.locator("#proxy-receipt")).to_be_visible()
            page.screenshot(path=str(shots / "proxy-detail.png"), full_page=True)
            item_number = page.locator("#proxy-receipt dd").first.inner_text()
        finally:
            browser.close()
    case = Case.objects.get()
    assert case.item_number == item_number
    assert case.channel == "proxy"
    assert case.region.code == "430102"
    auth = ProxyAuthorisation.objects.get(case=case)
    assert auth.relation == "grid_worker"
    assert auth.petitioner_consent
