"""The job after intake: suggestions recorded on the case and shown to the registrar."""

from __future__ import annotations

from xinfang.cases.models import EventKind
from xinfang.cases.tests.factories import make_case
from xinfang.handling.tests.world import World
from xinfang.workbench.tests.test_views import as_user

WAGES = {
    "title": "包工头拖欠农民工工资",
    "content": "我们十几个农民工在芙蓉区某工地干了半年活，包工头至今未发工资，请劳动部门帮忙讨薪。",
}


def test_a_wage_petition_is_triaged_into_the_fast_channel(world: World) -> None:
    first = make_case(**WAGES)
    again = make_case(**WAGES)  # the same text from someone else
    event = again.events.get(kind=EventKind.TRIAGE)
    payload = event.payload
    assert payload["category"]["label"] == "劳动和社会保障"
    assert abs(sum(p for _, p in payload["category"]["top"]) - 1) < 0.2  # top-3 of 7 classes
    assert payload["fast"] == [{"kind": "wages", "evidence": ["工资", "拖欠"]}]
    assert payload["location"]["name"] == "芙蓉区"
    assert payload["similar"][0]["item_number"] == first.item_number
    assert payload["similar"][0]["score"] >= 0.9
    again.refresh_from_db()
    assert again.is_fast_track
    assert not again.is_urgent
    page = as_user(world.registrar).get(f"/staff/cases/{again.pk}/").content.decode()
    assert 'data-testid="triage"' in page
    assert first.item_number in page


def test_triage_runs_once_per_case(world: World) -> None:
    from xinfang.triage.services import case_triage

    case = make_case(**WAGES)
    assert case_triage(case=case) is None  # already done by the job after intake
    assert case.events.filter(kind=EventKind.TRIAGE).count() == 1
