"""The citizens' portal in a real browser: submit (with the similar-petitions panel), sign in
with a texted code, my petitions, track, add material; rate and ask for 复查 on a replied case.

Same set-up as xinfang/intake/tests/test_browser.py (live server, `transaction=True`, database
work only before the browser opens and after it closes). The sign-in code is read from the file
SMS back-end's outbox, as a developer would. Screenshots go to $XINFANG_SCREENSHOT_DIR when set
(docs/screenshots/ is made that way), else to the test's tmp dir.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
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

from xinfang.citizens.tests.helpers import FILE_BACKEND, last_code
from xinfang.intake.tests import test_browser as intake_browser
from xinfang.intake.tests.test_browser import PHONE, PNG, choose_region, fill_petition
from xinfang.intake.tests.test_browser import assert_fits_phone as assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
shots = intake_browser.shots  # the fixture: full-page screenshots, where the docstring says

MATERIAL = "补充：施工时间是每晚十点到凌晨两点。"


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


@pytest.fixture
def outbox(settings: Any, tmp_path: Path) -> Path:
    # The live server runs in this process: it sends through the same settings.
    settings.XINFANG_SMS_BACKEND = FILE_BACKEND
    settings.XINFANG_SMS_FILE_DIR = tmp_path / "sms"
    return tmp_path / "sms"


@pytest.fixture
def chromium(live_server: Any) -> Any:
    """`with chromium() as open_page:` — open_page(phone=True) gives a page in a new context."""
    from playwright.sync_api import sync_playwright

    @contextmanager
    def start() -> Iterator[Any]:
        with sync_playwright() as pw:
            browser = launch(pw)
            errors: list[str] = []

            def open_page(*, phone: bool, cookies_from: Any = None) -> Any:
                size: dict[str, Any] = {"viewport": DESKTOP_VIEWPORT}
                if phone:
                    size = {"viewport": PHONE_VIEWPORT, "device_scale_factor": 2, "is_mobile": True}
                context = browser.new_context(
                    **size, has_touch=phone, locale="zh-CN", base_url=live_server.url
                )
                context.set_default_timeout(TIMEOUT_MS)
                if cookies_from is not None:
                    context.add_cookies(cookies_from.context.cookies())
                page = context.new_page()
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                return page

            try:
                yield open_page
                assert errors == [], f"JavaScript errors on the page: {errors}"
            finally:
                browser.close()

    return start


def sign_in(page: Any, outbox: Path, phone: str, shots: Any = None) -> None:
    """From wherever the portal sent us to the login page, through the texted code."""
    expect = _expect()
    page.wait_for_url(re.compile(r"/me/login/"))
    page.get_by_label("手机号码").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#code-sent")).to_contain_text(f"{phone[:3]}****{phone[-4:]}")
    expect(page.get_by_label("手机号码")).to_have_value(phone)  # kept for the second step
    code = last_code(outbox, phone)
    if shots:
        page.get_by_label("短信验证码").fill(code)
        assert_fits(page)
        shots(page, "login-phone")
    page.get_by_label("短信验证码").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#code-error")).to_have_text("验证码不正确。")  # under the field
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/me/login/" not in url)  # back where the portal sent us from


def test_submit_sign_in_track_and_add_material(
    chromium: Any, shots: Any, outbox: Path, bureau: Any
) -> None:
    from xinfang.board.tests.factories import make_publication
    from xinfang.cases.models import Attachment, Case, CaseEvent, EventKind

    similar = make_publication()  # an open published petition on the same street noise
    with chromium() as open_page:
        expect = _expect()
        page = open_page(phone=True)
        page.goto("/")
        expect(page.locator("#channels li")).to_have_count(4)
        assert_fits(page)
        shots(page, "portal-home-phone")

        page.locator("#main").get_by_role("link", name="我要信访").click()
        page.wait_for_url("**/submit/")
        hint = page.locator("aside#similar-hint")
        expect(hint).to_have_attribute("aria-live", "polite")
        choose_region(page, city="长沙市", county="芙蓉区", township="文艺路街道")
        with page.expect_request(re.compile(r"/board/hint/\?")) as asked:
            fill_petition(page)
        assert "region_code=430102001" in asked.value.url  # the panel asks with the form's data
        assert "title=" in asked.value.url
        assert "content=" in asked.value.url
        me_too = hint.locator(f"#hint-{similar.pk}").get_by_role("button", name="这也是我的问题")
        expect(me_too).to_be_visible()
        assert_fits(page)
        shots(page, "submit-phone")
        page.get_by_role("button", name="提交").click()
        page.wait_for_url("**/submit/receipt/")
        item_number = page.locator("#item-number").inner_text().strip()

        page.goto("/me/")
        sign_in(page, outbox, PHONE, shots)
        assert page.url.endswith("/me/")
        mine = page.locator("#my-cases li", has_text=item_number)
        expect(mine).to_have_count(1)
        expect(mine.locator(".status")).to_have_text("已收到")

        mine.get_by_role("link").click()
        expect(page.locator("#track-status")).to_have_text("已收到")
        expect(page.locator("#verify")).to_have_count(0)  # no second factor when signed in
        page.get_by_label("补充说明").fill(MATERIAL)
        page.locator("#material-files").set_input_files(
            {"name": "夜间施工.png", "mimeType": "image/png", "buffer": PNG}
        )
        page.get_by_role("button", name="提交补充材料").click()
        expect(page.locator("#material-done")).to_have_text("补充材料已提交。")
        file_link = page.locator("#track-files a", has_text="夜间施工.png")
        expect(file_link).to_have_count(1)
        image = page.request.get(file_link.get_attribute("href"))
        assert image.status == 200
        assert image.headers["content-type"] == "image/png"
        assert_fits(page)
        shots(page, "track-phone")

        desktop = open_page(phone=False, cookies_from=page)  # the same person at a desk
        desktop.goto("/me/")
        expect(desktop.locator("#my-cases li", has_text=item_number)).to_have_count(1)
        shots(desktop, "my-petitions-desktop")
        assert desktop.request.get(file_link.get_attribute("href")).status == 200
        stranger = open_page(phone=False)
        assert stranger.request.get(file_link.get_attribute("href")).status == 404

    case = Case.objects.get(item_number=item_number)
    note = CaseEvent.objects.get(case=case, kind=EventKind.NOTE)
    assert note.payload["material"] == MATERIAL
    assert note.payload["attachments"] == 1
    assert note.is_public
    assert Attachment.objects.filter(case=case, original_name="夜间施工.png").count() == 1


def test_rate_the_reply_and_ask_for_reexam_at_a_desk(
    chromium: Any, shots: Any, outbox: Path
) -> None:
    from xinfang.cases.tests.factories import VALID_PHONE
    from xinfang.handling.models import Rating
    from xinfang.handling.tests.world import build_world
    from xinfang.tracking.tests.test_citizen_actions import replied

    case = replied(build_world())
    assert case.status == "opinion_issued"

    with chromium() as open_page:
        expect = _expect()
        page = open_page(phone=False)
        page.goto(f"/me/cases/{case.query_code}/")
        sign_in(page, outbox, VALID_PHONE)
        assert page.url.endswith(f"/me/cases/{case.query_code}/")
        expect(page.locator("#track-status")).to_have_text("已出具意见")
        form = page.locator("#act-rate")
        form.locator("input[name=bureau][value=satisfied]").check()
        form.locator("input[name=unit][value=basic]").check()
        with page.expect_navigation():
            form.get_by_role("button", name="提交评价").click()
        expect(page.locator("#act-rate")).to_have_count(0)  # one rating per reply
        reexam = page.locator("#act-reexam")
        reexam.locator("textarea[name=reason]").fill("不服处理意见，问题没有解决")
        with page.expect_navigation():
            reexam.get_by_role("button", name="申请复查").click()
        expect(page.locator("#track-status")).to_have_text("已申请复查")
        assert_fits(page)

    case.refresh_from_db()
    assert case.status == "reexam_requested"
    assert Rating.objects.filter(case=case).count() == 2


@pytest.fixture
def bureau(transactional_db: Any) -> Any:
    from xinfang.orgs.tests.factories import make_bureau

    return make_bureau("430100")
