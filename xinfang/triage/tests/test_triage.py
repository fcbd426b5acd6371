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


def test_the_same_person_raising_the_matter_higher_while_it_is_open_below(world: World) -> None:
    from xinfang.orgs.tests.factories import make_bureau

    make_bureau("430100")  # the city bureau, one level above 芙蓉区's
    below = make_case(**WAGES)
    above = make_case(**{**WAGES, "region_code": "430100"})
    assert above.register_org != below.register_org
    [repeat] = above.events.get(kind=EventKind.TRIAGE).payload["repeats"]
    assert repeat["item_number"] == below.item_number
    assert repeat["same_matter"] is True
    assert repeat["level_skip"] is True
    # A different matter by the same person is a repeat petitioner, not the same matter.
    other = make_case(
        title="小区路灯坏了", content="我家门口的路灯坏了一个月，晚上出行不便，请修理。"
    )
    repeats = other.events.get(kind=EventKind.TRIAGE).payload["repeats"]
    assert {r["item_number"] for r in repeats} == {below.item_number, above.item_number}
    assert not any(r["same_matter"] or r["level_skip"] for r in repeats)


def test_the_registrar_confirms_the_proposal_in_one_action(world: World) -> None:
    from xinfang.cases.models import Case
    from xinfang.workbench.tests.test_views import act

    case = make_case(**WAGES)
    registrar = as_user(world.registrar)
    page = registrar.get(f"/staff/cases/{case.pk}/").content.decode()
    # The form is pre-filled with the proposal: the likeliest leaf and the place found.
    assert 'data-action="classify"' in page
    proposal = case.events.get(kind=EventKind.TRIAGE).payload
    from xinfang.catalog.models import Category

    top = Category.objects.get(code=proposal["category"]["leaves"][0]["code"])
    assert top.parent.parent.name == proposal["category"]["label"]
    assert f'<option value="{top.code}" selected>' in page
    assert act(registrar, case, "classify", category=top.code, region="430102").status_code == 302
    case = Case.objects.get(pk=case.pk)
    assert case.category == top
    confirmed = case.events.filter(kind=EventKind.NOTE).last()
    assert confirmed.payload["accepted"] is True  # kept as training data
    assert confirmed.actor == world.registrar
