"""One petition through its whole life in a real browser (issue 3): the citizen submits on a
phone, staff of three units work it in the workbench at desk size, the citizen rates the reply
on /track/, the bureau revisits, the citizen asks for 复查 and the county government issues the
复查 opinion.

Each person has a browser context of their own, so sessions never mix. As in the intake
browser test (see its docstring and xinfang/core/tests/browser.py), the database work happens
before the browser opens and after it closes; in between, only what a person sees is asserted.

Screenshots go to the test's tmp dir, or to $XINFANG_SCREENSHOT_DIR when it is set: run with
XINFANG_SCREENSHOT_DIR=docs/screenshots to refresh the ones in the documentation.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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

from xinfang.intake.tests.test_browser import PHONE, choose_region, fill_petition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-only"  # make_staff's
FORWARD_NOTE = "属地主管部门办理"
REPLY = {
    "request": "要求查处夜间施工噪音。",
    "facts": "经查，该工地确有夜间施工行为。",
    "reasons": "违反噪声污染防治有关规定。",
    "outcome": "support",
    "legal_basis": "《中华人民共和国噪声污染防治法》第四十三条",
}
REEXAM = {**REPLY, "outcome": "uphold", "reasons": "原处理意见认定事实清楚，适用依据正确。"}
DISSATISFIED_REASON = "噪音仍未停止"
REVISIT_NOTE = "已电话回访，信访人坚持不满意，告知复查途径"
# The statuses the case passes through, in order: code and the name both pages show.
TRAIL = [
    ("registered", "已登记"),
    ("forwarded", "已转送"),
    ("accepted", "已受理"),
    ("in_handling", "办理中"),
    ("extended", "已延期"),
    ("opinion_issued", "已出具意见"),
    ("reexam_requested", "已申请复查"),
    ("reexam_decided", "已出具复查意见"),
]


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


# --- browsers ---------------------------------------------------------------------------------


@dataclass
class Browsers:
    """One Chromium; each person gets a context (own cookies) and a page of their own."""

    browser: Any
    base_url: str
    errors: dict[str, list[str]] = field(default_factory=dict)

    def open(self, who: str, *, phone: bool = False) -> Any:
        size: dict[str, Any] = {"viewport": DESKTOP_VIEWPORT}
        if phone:
            size = {"viewport": PHONE_VIEWPORT, "device_scale_factor": 2, "is_mobile": True}
        context = self.browser.new_context(
            **size, has_touch=phone, locale="zh-CN", base_url=self.base_url
        )
        context.set_default_timeout(TIMEOUT_MS)
        errors = self.errors.setdefault(who, [])
        # Every page of the person, the printed documents opened in new tabs included.
        context.on("page", lambda p: p.on("pageerror", lambda exc: errors.append(str(exc))))
        return context.new_page()


@pytest.fixture
def browsers(live_server: Any) -> Any:
    """`with browsers() as b:` — Chromium on the live server; JavaScript errors fail the test."""
    from playwright.sync_api import sync_playwright

    @contextmanager
    def start() -> Iterator[Browsers]:
        with sync_playwright() as pw:
            browser = launch(pw)
            try:
                opened = Browsers(browser=browser, base_url=live_server.url)
                yield opened
                failed = {who: e for who, e in opened.errors.items() if e}
                assert failed == {}, f"JavaScript errors on the page: {failed}"
            finally:
                browser.close()

    return start


@pytest.fixture
def shots(tmp_path: Path) -> Callable[[Any, str], Path]:
    """shots(page, "workbench-home") saves a full-page screenshot outside the repository."""
    folder = Path(os.environ.get("XINFANG_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# --- what staff do and see --------------------------------------------------------------------


def sign_in(page: Any, username: str, *, code: Callable[[], str] | None = None) -> None:
    """Password, then (roles that see identities) the authenticator's current code."""
    page.goto("/staff/")
    page.wait_for_url(re.compile(r"/staff/auth/login/\?next="))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    if code is not None:
        page.wait_for_url(re.compile(r"/staff/auth/otp/"))
        page.locator("input[name=token]").fill(code())
        page.get_by_role("button", name="验证").click()
    page.wait_for_url(re.compile(r"/staff/$"))
    _expect()(page.get_by_role("heading", level=1)).to_have_text("我的工作")


def queue_count(page: Any, queue: str) -> int:
    """The number the home page shows on a queue's link."""
    page.goto("/staff/")
    return int(page.locator(f"a[data-queue={queue}] .n").inner_text())


def open_from_queue(page: Any, queue: str, item_number: str, shots: Any = None) -> str:
    """Home → the queue, which lists the case → the case page; returns the page's URL."""
    expect = _expect()
    assert queue_count(page, queue) == 1, f"{item_number} is not alone in the {queue} queue"
    page.locator(f"a[data-queue={queue}]").click()
    page.wait_for_url(f"**/staff/queue/{queue}/")
    row = page.locator("table.cases tbody tr", has_text=item_number)
    expect(row).to_have_count(1)
    if shots:
        shots(page, f"workbench-queue-{queue}")
    row.get_by_role("link", name=item_number).click()
    page.wait_for_url(re.compile(r"/staff/cases/\d+/$"))
    expect(page.get_by_test_id("item-number")).to_have_text(item_number)
    return str(page.url)


def expect_status(page: Any, code: str, label: str = "") -> None:
    status = _expect()(page.get_by_test_id("status"))
    status.to_have_attribute("data-status", code)
    if label:
        status.to_contain_text(label)


def act(page: Any, name: str, **fields: str) -> None:
    """Fill the action's form (field names without the `name-` prefix) and submit it."""
    box = page.locator(f"details[data-action={name}]")
    _expect()(box).to_have_count(1)
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    for key, value in fields.items():
        control = box.locator(f"[name={name}-{key}]")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    with page.expect_navigation():
        box.locator("button[type=submit]").click()


def expect_actions(
    page: Any, *, present: tuple[str, ...] = (), absent: tuple[str, ...] = ()
) -> None:
    expect = _expect()
    for name in present:
        expect(page.locator(f"details[data-action={name}]")).to_have_count(1)
    for name in absent:
        expect(page.locator(f"details[data-action={name}]")).to_have_count(0)


def documents(page: Any) -> Any:
    return page.locator("section[aria-labelledby=doc-h] a")


def status_trail(page: Any) -> list[str]:
    """The status names of the case page's timeline, in order."""
    entries = page.locator(".timeline li", has_text="状态变更").all_inner_texts()
    return [m.group(1) for text in entries if (m := re.search(r"状态变更\s+(\S+)", text))]


# --- what the citizen does and sees -----------------------------------------------------------


def submit_petition(page: Any) -> tuple[str, str]:
    """From the portal's home page to the receipt; returns (item number, query code)."""
    page.goto("/")
    page.locator("#main").get_by_role("link", name="我要信访").click()
    page.wait_for_url("**/submit/")
    assert choose_region(page, city="长沙市", county="芙蓉区") == "430102"
    fill_petition(page)
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/submit/receipt/")
    _expect()(page.get_by_role("heading", level=1)).to_have_text("提交成功")
    return (
        page.locator("#item-number").inner_text().strip(),
        page.locator("#query-code").inner_text().strip(),
    )


def track(page: Any, query_code: str, status: str) -> Any:
    """Look the case up with the query code and the phone's last four digits."""
    page.goto("/track/")
    page.get_by_label("查询码").fill(query_code)
    page.get_by_label("手机号码后四位", exact=False).fill(PHONE[-4:])
    page.get_by_role("button", name="查询", exact=True).click()
    _expect()(page.locator("#track-status")).to_have_text(status)
    return page.locator("#track-result")


def citizen_act(page: Any, form_id: str) -> None:
    with page.expect_navigation():
        page.locator(f"#{form_id} button[type=submit]").click()


# --- the test -----------------------------------------------------------------------------------


@dataclass
class Cast:
    """The world's staff by username, and the authenticator codes of those who need one."""

    registrar: str
    handler: str
    leader: str
    revisit: str
    county_leader: str
    leader_code: Callable[[], str]
    county_code: Callable[[], str]


def _cast() -> tuple[Any, Cast]:
    from xinfang.handling.tests.world import build_world
    from xinfang.orgs.models import Region
    from xinfang.orgs.selectors import bureau_for_region
    from xinfang.signin.tests.helpers import code_for, make_device

    w = build_world()
    # After the flush the world's bureau is the only one: intake must address it.
    assert bureau_for_region(region=Region.objects.get(code="430102")) == w.bureau
    # The devices are read now; their codes are computed from the keys while the browser runs.
    leader_device, county_device = make_device(w.leader), make_device(w.county_leader)
    cast = Cast(
        registrar=w.registrar.username,
        handler=w.handler.username,
        leader=w.leader.username,
        revisit=w.revisit.username,
        county_leader=w.county_leader.username,
        leader_code=lambda: code_for(leader_device),
        county_code=lambda: code_for(county_device),
    )
    return w, cast


def test_one_petition_through_its_whole_life(browsers: Any, shots: Any) -> None:
    w, cast = _cast()
    with browsers() as b:
        citizen = b.open("citizen", phone=True)
        item_number, query_code = submit_petition(citizen)
        assert item_number.startswith(f"{w.bureau.code}-")

        registrar = b.open("registrar")
        sign_in(registrar, cast.registrar)
        shots(registrar, "workbench-home")
        register_and_forward(registrar, item_number, w.housing.code, shots)

        handler = b.open("handler")
        sign_in(handler, cast.handler)
        sign_start_and_ask_extension(handler, item_number)

        leader = b.open("leader")
        sign_in(leader, cast.leader, code=cast.leader_code)
        approve(leader, item_number, "extended", "已延期")
        expect_deadline_moved(leader)

        handler.reload()
        draft_reply(handler)
        approve(leader, item_number, "opinion_issued", "已出具意见")
        print_reply(leader, shots)

        rate_dissatisfied(citizen, query_code, shots)

        revisit = b.open("revisit")
        sign_in(revisit, cast.revisit)
        complete_revisit(revisit, item_number, shots)

        request_reexam(citizen)

        county = b.open("county")
        sign_in(county, cast.county_leader, code=cast.county_code)
        decide_reexam(county, item_number, shots)

        see_reexam_opinion(citizen, query_code, shots)

    assert_stored(item_number, w)


# --- the steps ----------------------------------------------------------------------------------


def register_and_forward(page: Any, item_number: str, housing: str, shots: Any) -> None:
    expect = _expect()
    case_url = open_from_queue(page, "register", item_number, shots)
    expect_status(page, "received", "已收到")
    act(page, "register")
    expect_status(page, "registered", "已登记")
    assert queue_count(page, "register") == 0

    # Forwarding without a unit: the field says so, the input is kept, the case stays put.
    page.goto(case_url)
    forward = page.locator("details[data-action=forward]")
    # The main step is open and the dispatch catalogue's proposal is pre-selected (here the
    # fallback: the county government, since no rule covers the category).
    expect(forward).to_have_attribute("open", "")
    expect(forward.locator("[name=forward-to_org]")).not_to_have_value("")
    act(page, "forward", to_org="", reason=FORWARD_NOTE)
    expect(page.get_by_role("heading", level=1)).to_have_text("小区夜间施工噪音扰民")
    expect(forward).to_have_attribute("open", "")
    errors = forward.locator(".field.has-error")
    expect(errors).to_have_count(1)
    expect(errors.locator("[name=forward-to_org]")).to_have_count(1)
    expect(errors.locator(".field-error")).to_have_text("该字段是必填项。")
    expect(forward.locator("[name=forward-reason]")).to_have_value(FORWARD_NOTE)
    expect_status(page, "registered")
    shots(page, "workbench-case-field-error")

    # The unit picker's search box narrows hundreds of units to the matching ones.
    search = forward.locator(".option-filter").first
    search.fill(housing)
    visible = forward.locator("[name=forward-to_org]").evaluate(
        "s => Array.from(s.options).filter(o => !o.hidden).map(o => o.value)"
    )
    assert housing in visible
    assert len(visible) <= 3, visible  # the match (plus the blank and the current choice)
    act(page, "forward", to_org=housing, reason=FORWARD_NOTE)
    expect_status(page, "forwarded", "已转送")
    expect(page.locator(".timeline li", has_text="已转送")).to_contain_text(FORWARD_NOTE)
    expect(documents(page).filter(has_text="转送告知书")).to_have_count(1)


def sign_start_and_ask_extension(page: Any, item_number: str) -> None:
    open_from_queue(page, "sign", item_number)
    act(page, "accept")
    expect_status(page, "accepted", "已受理")
    act(page, "start")
    expect_status(page, "in_handling", "办理中")
    assert queue_count(page, "sign") == 0
    open_from_queue(page, "handle", item_number)
    act(page, "request_extension", days="15", reason="需补充调查取证")
    expect_status(page, "in_handling")  # nothing moves until the head approves
    # One request at a time, and a handler does not approve: no further request, no decision.
    expect_actions(page, absent=("request_extension", "submit_reply", "decide_request"))


def approve(page: Any, item_number: str, code: str, label: str) -> None:
    """The unit head approves the pending request from the 待审核 queue."""
    case_url = open_from_queue(page, "approve", item_number)
    act(page, "decide_request", approve="1", note="同意")
    expect_status(page, code, label)
    assert queue_count(page, "approve") == 0
    page.goto(case_url)


def expect_deadline_moved(page: Any) -> None:
    """The extension shows on the timeline (old → new deadline), the clock and the documents."""
    expect = _expect()
    deadline = page.locator(".timeline li", has_text="已延期").locator(".deadline")
    expect(deadline).to_have_text(re.compile(r"期限：\d{4}-\d\d-\d\d → \d{4}-\d\d-\d\d"))
    before, after = re.findall(r"\d{4}-\d\d-\d\d", deadline.inner_text())
    assert after > before
    clocks = page.locator("section[aria-labelledby=clock-h] td")
    expect(clocks.filter(has_text="延期 15 日")).to_have_count(1)
    expect(documents(page).filter(has_text="延期告知书")).to_have_count(1)


def draft_reply(page: Any) -> None:
    expect_status(page, "extended")
    expect_actions(page, present=("submit_reply",), absent=("request_extension",))
    act(page, "submit_reply", **REPLY)
    expect_status(page, "extended")
    expect_actions(page, absent=("submit_reply",))


def print_reply(page: Any, shots: Any) -> None:
    """The issued 信访处理意见书 is listed on the case page and opens for printing."""
    expect = _expect()
    link = documents(page).filter(has_text="信访处理意见书")
    expect(link).to_have_count(1)
    with page.context.expect_page() as opened:
        link.click()
    sheet = opened.value
    sheet.wait_for_load_state()
    expect(sheet.locator(".print-meta")).to_contain_text("信访处理意见书")
    expect(sheet.locator("main.sheet")).to_contain_text(REPLY["facts"])
    expect(sheet.locator("main.sheet")).to_contain_text("芙蓉区人民政府")  # who re-examines
    shots(sheet, "workbench-document")
    sheet.close()


def rate_dissatisfied(page: Any, query_code: str, shots: Any) -> None:
    expect = _expect()
    result = track(page, query_code, "已出具意见")
    expect(result.locator("details summary", has_text="信访处理意见书")).to_have_count(1)
    form = page.locator("#act-rate")
    expect(form).to_be_visible()
    form.locator("input[name=bureau][value=satisfied]").check()
    form.locator("input[name=unit][value=dissatisfied]").check()
    shots(page, "tracking-rate")
    # 不满意 needs a reason: the form says so and keeps the choices.
    citizen_act(page, "act-rate")
    expect(page.locator("#act-rate .field-error")).to_have_text("不满意时请说明理由。")
    expect(page.locator("#act-rate input[name=unit][value=dissatisfied]")).to_be_checked()
    page.locator("#rate-reason").fill(DISSATISFIED_REASON)
    citizen_act(page, "act-rate")
    expect(page.locator("#track-status")).to_have_text("已出具意见")
    expect(page.locator("#act-rate")).to_have_count(0)  # one rating per reply
    expect(page.locator("#act-reexam")).to_be_visible()


def complete_revisit(page: Any, item_number: str, shots: Any) -> None:
    expect = _expect()
    open_from_queue(page, "revisit", item_number)
    unit = page.locator("section[aria-labelledby=rate-h] li", has_text="不满意")
    expect(unit).to_contain_text(DISSATISFIED_REASON)
    expect_actions(page, present=("revisit",))
    shots(page, "workbench-case-revisit")
    act(page, "revisit", outcome="annotate", note=REVISIT_NOTE)
    expect_status(page, "opinion_issued")  # annotate: the rating stands, the case does not move
    expect(unit).to_contain_text(f"回访：{REVISIT_NOTE}")
    expect_actions(page, absent=("revisit",))
    assert queue_count(page, "revisit") == 0


def request_reexam(page: Any) -> None:
    expect = _expect()
    page.reload()  # the verified look-up is remembered for a while
    form = page.locator("#act-reexam")
    expect(form).to_be_visible()
    form.locator("textarea[name=reason]").fill("不服处理意见，噪音问题没有解决")
    citizen_act(page, "act-reexam")
    expect(page.locator("#track-status")).to_have_text("已申请复查")
    expect(page.locator("#act-reexam")).to_have_count(0)


def decide_reexam(page: Any, item_number: str, shots: Any) -> None:
    expect = _expect()
    case_url = open_from_queue(page, "review", item_number, shots)
    expect_status(page, "reexam_requested", "已申请复查")
    act(page, "reexam_decide", **REEXAM)
    expect_status(page, "reexam_decided", "已出具复查意见")
    expect_actions(page, absent=("reexam_decide",))
    assert status_trail(page) == [label for _, label in TRAIL]
    timeline = page.locator(".timeline li")
    expect(timeline.filter(has_text="评价").filter(has_text=DISSATISFIED_REASON)).to_have_count(1)
    expect(timeline.filter(has_text="回访").filter(has_text=REVISIT_NOTE)).to_have_count(1)
    kinds = documents(page).all_inner_texts()
    for kind in ("转送告知书", "延期告知书", "信访处理意见书", "复查意见书"):
        assert any(text.startswith(kind) for text in kinds), f"no {kind} among {kinds}"
    assert queue_count(page, "review") == 0
    page.goto(case_url)
    shots(page, "workbench-case")


def see_reexam_opinion(page: Any, query_code: str, shots: Any) -> None:
    """The citizen sees the whole public timeline, the 复查意见书, and 复核 as the next step."""
    expect = _expect()
    result = track(page, query_code, "已出具复查意见")
    labels = [text.split()[-1] for text in result.locator(".timeline li").all_inner_texts()]
    assert labels == ["已收到"] + [label for _, label in TRAIL]
    expect(result.locator("details summary", has_text="复查意见书")).to_have_count(1)
    expect(page.locator("#act-review")).to_be_visible()
    shots(page, "tracking-reexam-decided")


def assert_stored(item_number: str, w: Any) -> None:
    """What the clicks left in the database, read after the browser has closed."""
    from xinfang.cases.models import Case, ClockKind, EventKind
    from xinfang.documents.choices import DocumentKind
    from xinfang.handling.models import RatingParty, RatingValue, RevisitTask

    case = Case.objects.get(item_number=item_number)
    assert (case.status, case.register_org, case.lead_org) == (
        "reexam_decided",
        w.bureau,
        w.housing,
    )
    trail = list(case.events.filter(kind=EventKind.STATUS).values_list("to_status", flat=True))
    assert trail == [code for code, _ in TRAIL]
    assert case.clocks.get(kind=ClockKind.HANDLE).extended_days == 15
    ratings = {r.party: r for r in case.ratings.all()}
    assert ratings[RatingParty.BUREAU].value == RatingValue.SATISFIED
    assert ratings[RatingParty.UNIT].value == RatingValue.DISSATISFIED
    assert ratings[RatingParty.UNIT].annotation == REVISIT_NOTE
    task = RevisitTask.objects.get(case=case)
    assert (task.is_open, task.outcome, task.done_by) == (False, "annotate", w.revisit)
    kinds = set(case.documents.values_list("kind", flat=True))
    assert {DocumentKind.REPLY_OPINION, DocumentKind.REEXAM_OPINION} <= kinds
