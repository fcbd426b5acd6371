"""The entry screen in a real browser, driven by the keyboard only (after signing in): the
phone number finds the caller's earlier petition, the content brings a routing hint, Alt+2
picks the direct answer, Alt+A jumps to the answer, Ctrl+Enter saves."""

from __future__ import annotations

from typing import Any

import pytest

from xinfang.core.tests.browser import (  # the fixtures are used by name
    BROWSER_MISSING,
    BROWSER_REQUIRED,
    browser_available,  # noqa: F401
    reference_data,  # noqa: F401
    restore_reference_data,  # noqa: F401
)

if BROWSER_MISSING and not BROWSER_REQUIRED:
    pytest.skip(BROWSER_MISSING, allow_module_level=True)

from xinfang.workbench.tests.test_browser import browsers, shots, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13907311234"
CONTENT = "请问小区旁边工地夜间施工噪音扰民，应该向哪个部门反映？"
ANSWER = "夜间施工噪音可向区住房和城乡建设局反映，也可拨打12345由我们转办。"


def test_a_call_taken_with_the_keyboard_only(browsers: Any, shots: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    from xinfang.cases.models import Case, Channel
    from xinfang.cases.tests.factories import make_case
    from xinfang.cases.workflow import CaseStatus
    from xinfang.handling.tests.world import build_world

    w = build_world()
    earlier = make_case(petitioner={"name": "李明", "phone": PHONE})
    with browsers() as b:
        page = b.open("agent")
        sign_in(page, w.registrar.username)
        page.goto("/staff/hotline/")
        keys = page.keyboard
        # The phone input has the focus on arrival: the agent just types.
        expect(page.locator("#id_phone")).to_be_focused()
        keys.type(PHONE)
        expect(page.get_by_test_id("caller-history")).to_contain_text(earlier.item_number)
        keys.press("Tab")
        expect(page.locator("#id_name")).to_be_focused()
        keys.type("李明")
        keys.press("Alt+c")
        expect(page.locator("#id_content")).to_be_focused()
        keys.type(CONTENT)
        expect(page.get_by_test_id("hint-lead")).to_have_text("芙蓉区人民政府")
        keys.press("Alt+2")
        expect(page.locator("#id_disposition_1")).to_be_checked()
        keys.press("Alt+a")
        expect(page.locator("#id_answer")).to_be_focused()
        keys.type(ANSWER)
        shots(page, "hotline-entry")
        with page.expect_navigation():
            keys.press("Control+Enter")
        expect(page.get_by_test_id("last-status")).to_have_text("已办结")
        expect(page.locator("#id_phone")).to_be_focused()  # ready for the next call
        item = page.get_by_test_id("last-item").inner_text()
    case = Case.objects.get(channel=Channel.HOTLINE)
    assert case.item_number == item
    assert case.status == CaseStatus.CLOSED
    assert case.petitioners.get().name == "李明"
