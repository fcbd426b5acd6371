"""The citizen's path in a real browser at phone size: submit → receipt → track.

Drives Debian's Chromium through Playwright against pytest-django's live server (real HTTP,
real JavaScript: the cascading region picker and the anonymous toggle run as in production).

Two things make these tests different from the rest of the suite:

* The live server answers from another thread, so the tests are `transaction=True` and
  pytest-django empties every table after each one; the fixtures of
  xinfang/core/tests/browser.py put the reference data back (see there).
* Playwright's sync API keeps an asyncio loop running on the test's thread while it is
  active, and Django refuses ORM calls from such a thread. So every test does its database
  work before opening the browser and after closing it (`phone()` is a context manager),
  rather than switching Django's async-safety check off.

Screenshots of each page at phone size go to the test's tmp dir, or to
$XINFANG_SCREENSHOT_DIR when it is set (never into the repository).
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

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
from xinfang.orgs.tests.factories import make_bureau

if BROWSER_MISSING and not BROWSER_REQUIRED:
    pytest.skip(BROWSER_MISSING, allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13812345678"
# A 1×1 PNG: real image bytes, so the server's content sniffing accepts it.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
WRONG_FACTOR = "查询码或验证信息不正确。"


@pytest.fixture
def bureau(transactional_db: Any) -> Any:  # after the autouse reference_data
    return make_bureau("430100")  # Changsha's city bureau receives for the whole city


# --- the browser ------------------------------------------------------------------------------


@pytest.fixture
def phone(live_server: Any) -> Any:
    """`with phone() as page:` — a fresh phone-sized Chromium page on the live server."""
    from playwright.sync_api import sync_playwright

    @contextmanager
    def open_page() -> Iterator[Any]:
        with sync_playwright() as pw:
            browser = launch(pw)
            try:
                context = browser.new_context(
                    viewport=PHONE_VIEWPORT,
                    device_scale_factor=2,
                    is_mobile=True,
                    has_touch=True,
                    locale="zh-CN",
                    base_url=live_server.url,
                )
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                yield page
                assert errors == [], f"JavaScript errors on the page: {errors}"
            finally:
                browser.close()

    return open_page


@pytest.fixture
def shots(tmp_path: Path) -> Any:
    """shots(page, "name") saves a full-page screenshot outside the repository."""
    folder = Path(os.environ.get("XINFANG_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def choose_region(page: Any, *, city: str, county: str, township: str = "") -> str:
    """Walk the cascading picker; returns the code it put into the hidden region_code."""
    expect = _expect()
    province = page.locator("#region-1")
    expect(province).to_have_value("430000")  # the only province: chosen for the citizen
    expect(province.locator("option:checked")).to_have_text("湖南省")
    for level, label in ((2, city), (3, county), (4, township)):
        if not label:
            break
        select = page.locator(f"#region-{level}")
        expect(select).to_be_visible()
        expect(select.locator("option", has_text=label)).to_have_count(1)
        select.select_option(label=label)
        expect(page.locator("#region_code")).to_have_value(select.input_value())
    return str(page.locator("#region_code").input_value())


def fill_petition(page: Any, *, anonymous: bool = False) -> None:
    page.get_by_label("信访类型").select_option("appeal")
    page.get_by_label("标题").fill("小区夜间施工噪音扰民")
    page.get_by_label("诉求内容").fill(
        "某工地每晚十点后仍在施工，噪音很大，影响休息，请有关部门查处。"
    )
    if anonymous:
        page.locator("#anonymous").check()
        _expect()(page.locator("#identity")).to_be_hidden()
    else:
        page.get_by_role("textbox", name="姓名", exact=True).fill("李明")
        page.get_by_role("textbox", name="手机号码", exact=True).fill(PHONE)


def expect_field_errors(page: Any, expected: dict[str, str]) -> None:
    """Each message is shown under its control and tied to it for screen readers."""
    expect = _expect()
    for field, message in expected.items():
        control = page.locator(f"#{field}")
        expect(control).to_have_attribute("aria-invalid", "true")
        expect(control).to_have_accessible_description(message)
        expect(page.locator(f"#{field}-error")).to_have_text(message)


def assert_one_line(page: Any, selector: str) -> None:
    lines = page.locator(selector).evaluate(
        "el => el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight)"
    )
    assert lines < 1.5, f"{selector} wraps onto {lines:.1f} lines at phone width"


def assert_touch_targets(page: Any, selector: str, *, min_px: int = 24) -> None:
    """Controls a thumb must hit are at least min_px high and wide (WCAG 2.5.8)."""
    sizes = page.locator(selector).evaluate_all(
        "els => els.map(e => [e.textContent.trim() || e.id,"
        " e.getBoundingClientRect().width, e.getBoundingClientRect().height])"
    )
    small = [(name, round(w), round(h)) for name, w, h in sizes if w < min_px or h < min_px]
    assert sizes, f"nothing matches {selector!r}"
    assert not small, f"touch targets smaller than {min_px}px: {small}"


def assert_fits_phone(page: Any) -> None:
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"page is {overflow}px wider than the phone screen"


# --- tests ------------------------------------------------------------------------------------


def test_named_petition_from_phone_to_tracking(phone: Any, shots: Any, bureau: Any) -> None:
    from xinfang.cases.models import Attachment, Case, Petitioner

    with phone() as page:
        expect = _expect()
        page.goto("/submit/")
        expect(page).to_have_title(re.compile("我要信访"))
        region_code = choose_region(page, city="长沙市", county="芙蓉区", township="文艺路街道")
        assert region_code == "430102001"
        fill_petition(page)
        page.get_by_label("附件", exact=False).set_input_files(
            {"name": "现场照片.png", "mimeType": "image/png", "buffer": PNG}
        )
        page.get_by_label("同意在去除个人信息后公开", exact=False).check()
        assert_fits_phone(page)
        assert_touch_targets(page, "header a, header button, summary, #submit-btn")
        shots(page, "01-submit-filled")

        page.get_by_role("button", name="提交").click()
        page.wait_for_url("**/submit/receipt/")
        expect(page.get_by_role("heading", level=1)).to_have_text("提交成功")
        item_number = page.locator("#item-number").inner_text().strip()
        query_code = page.locator("#query-code").inner_text().strip()
        assert item_number.startswith(f"{bureau.code}-")
        assert re.fullmatch(r"[0-9A-Z]{6,16}", query_code), query_code
        expect(page.locator("#secret")).to_have_count(0)  # named: the phone is the factor
        assert_fits_phone(page)
        shots(page, "02-receipt")

        page.get_by_role("link", name="查询进度").click()
        page.wait_for_url(re.compile(r"/track/\?code="))
        expect(page.get_by_label("查询码")).to_have_value(query_code)
        page.get_by_label("手机号码后四位", exact=False).fill(PHONE[-4:])
        page.get_by_role("button", name="查询", exact=True).click()
        result = page.locator("#track-result")
        expect(result).to_be_visible()
        expect(page.locator("#track-status")).to_have_text("已收到")
        expect(result).to_contain_text(item_number)
        expect(result.locator(".timeline li")).to_contain_text(["已收到"])
        expect(page.locator("#track-error")).to_have_count(0)
        shots(page, "03-tracked")

    case = Case.objects.select_related("region", "petition_type").get(item_number=item_number)
    assert case.query_code == query_code
    assert case.channel == "web"
    assert case.status == "received"
    assert case.region.code == "430102001"
    assert case.petition_type.code == "appeal"
    assert case.consent_publish is True
    assert case.is_anonymous is False
    assert case.register_org_id == bureau.pk
    attachments = list(Attachment.objects.filter(case=case))
    assert len(attachments) == 1
    assert attachments[0].content_type == "image/png"
    assert attachments[0].original_name == "现场照片.png"
    assert attachments[0].size == len(PNG)
    assert Petitioner.objects.filter(case=case, is_main=True).count() == 1


def test_anonymous_petition_is_tracked_with_the_receipt_secret(
    phone: Any, shots: Any, bureau: Any
) -> None:
    from xinfang.cases.models import Case, Petitioner

    with phone() as page:
        expect = _expect()
        page.goto("/submit/")
        choose_region(page, city="长沙市", county="芙蓉区")
        fill_petition(page, anonymous=True)
        page.get_by_role("button", name="提交").click()
        page.wait_for_url("**/submit/receipt/")
        item_number = page.locator("#item-number").inner_text().strip()
        query_code = page.locator("#query-code").inner_text().strip()
        secret = page.locator("#secret").inner_text().strip()
        assert secret
        assert secret != query_code
        for code in ("#query-code", "#secret"):  # the codes to copy down stay on one line
            assert_one_line(page, code)
        shots(page, "04-receipt-anonymous")

        page.get_by_role("link", name="查询进度").click()
        verify = page.get_by_label("手机号码后四位", exact=False)
        verify.fill(PHONE[-4:])  # an anonymous petition has no phone: a wrong factor
        page.get_by_role("button", name="查询", exact=True).click()
        expect(page.get_by_role("alert")).to_have_text(WRONG_FACTOR)
        expect(page.locator("#track-result")).to_have_count(0)
        expect(page.get_by_label("查询码")).to_have_value(query_code)  # kept for the retry

        page.get_by_label("手机号码后四位", exact=False).fill(secret.lower())  # case-insensitive
        page.get_by_role("button", name="查询", exact=True).click()
        expect(page.locator("#track-status")).to_have_text("已收到")
        expect(page.locator("#track-result")).to_contain_text(item_number)
        expect(page.locator("#track-error")).to_have_count(0)

    case = Case.objects.get(item_number=item_number)
    assert case.channel == "web"
    assert case.is_anonymous is True
    assert case.region.code == "430102"
    assert not Petitioner.objects.filter(case=case).exists()


def test_empty_form_shows_each_missing_field_and_saves_nothing(
    phone: Any, shots: Any, bureau: Any
) -> None:
    from xinfang.cases.models import Attachment, Case, Petitioner

    with phone() as page:
        expect = _expect()
        page.goto("/submit/")
        expect(page.locator("#region-2 option", has_text="长沙市")).to_have_count(1)
        page.get_by_role("button", name="提交").click()
        expect(page.locator("#form-errors")).to_contain_text("提交的内容有误，请按提示修改。")
        expect_field_errors(
            page,
            {
                "petition_type": "请选择信访类型。",
                "title": "请填写标题。",
                "content": "请填写诉求内容。",
                # Missing identity is reported in the same round, not after a second submit.
                "name": "实名信访请填写姓名。",
                "phone": "实名信访请填写手机号码，以便接收办理进度。",
            },
        )
        expect(page.locator("#attachments")).not_to_have_attribute("aria-invalid", "true")
        # The picker comes back with the province still chosen, and the button works again.
        expect(page.locator("#region-1")).to_have_value("430000")
        expect(page.get_by_role("button", name="提交")).to_be_enabled()
        assert_fits_phone(page)
        shots(page, "05-errors")

        # A named petition without name and phone: both are asked for, the rest is kept.
        choose_region(page, city="长沙市", county="芙蓉区")
        fill_petition(page)
        page.get_by_role("textbox", name="姓名", exact=True).fill("")
        page.get_by_role("textbox", name="手机号码", exact=True).fill("")
        page.get_by_role("button", name="提交").click()
        expect_field_errors(
            page,
            {
                "name": "实名信访请填写姓名。",
                "phone": "实名信访请填写手机号码，以便接收办理进度。",
            },
        )
        for field in ("petition_type", "title", "content"):
            expect(page.locator(f"#{field}")).not_to_have_attribute("aria-invalid", "true")
        expect(page.get_by_label("标题")).to_have_value("小区夜间施工噪音扰民")
        expect(page.locator("#region-3")).to_have_value("430102")  # the picker restores it
        expect(page.locator("#region_code")).to_have_value("430102")

        # The same page in English: the language button posts to /i18n/setlang/.
        with page.expect_request(lambda r: r.method == "POST" and "/i18n/setlang/" in r.url):
            page.get_by_role("button", name="English").click()
        page.wait_for_load_state()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", level=1)).to_have_text("Submit a petition")
        expect(page.locator("#petition_type option[value=appeal]")).to_have_text(
            "Complaint or request"
        )
        expect(page.locator("#region-2 option").first).to_have_text("Select…")
        page.locator("#submit-btn").click()
        expect(page.locator("#title-error")).to_have_text("Title is required.")
        expect(page.locator("#content-error")).to_have_text("Your request is required.")
        assert_fits_phone(page)
        shots(page, "06-errors-en")
        with page.expect_request(lambda r: r.method == "POST" and "/i18n/setlang/" in r.url):
            page.get_by_role("button", name="中文").click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")

    assert Case.objects.count() == 0
    assert Petitioner.objects.count() == 0
    assert Attachment.objects.count() == 0
