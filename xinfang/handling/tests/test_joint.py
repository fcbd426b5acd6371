"""联名/群体 links and 并单 merges: services, the workbench over HTTP, and what the merged
petitioner sees on /track/."""

from __future__ import annotations

import pytest
from django.test import Client

from xinfang.cases.models import Case, ClockKind, EventKind
from xinfang.cases.services import InvalidTransition, case_register
from xinfang.cases.tests.factories import VALID_PHONE, make_case
from xinfang.cases.workflow import CaseStatus, CloseReason, status_label
from xinfang.core.errors import FieldErrors
from xinfang.handling.joint import case_group_link, case_merge, group_of
from xinfang.handling.services import case_forward
from xinfang.handling.tests.world import World
from xinfang.orgs.models import OrgKind
from xinfang.orgs.tests.factories import make_org
from xinfang.signin.tests.helpers import force_login_verified

S = CaseStatus


def fresh(case: Case) -> Case:
    return Case.objects.select_related("petition_type").get(pk=case.pk)


def test_linking_builds_one_group_that_a_third_item_joins(world: World) -> None:
    a, b, c = make_case(), make_case(), make_case()
    case_group_link(case=b, actor=world.registrar, other=a)
    case_group_link(case=c, actor=world.registrar, other=fresh(b))
    members = group_of(fresh(c))
    assert [m.pk for m in members] == [a.pk, b.pk, c.pk]
    assert all(m.is_collective and m.group_root_id == a.pk for m in members)
    # Each item stays open on its own procedure; the link is noted on both sides.
    assert {m.status for m in members} == {S.RECEIVED}
    note = fresh(c).events.filter(kind=EventKind.NOTE).get()
    assert note.payload == {"group": a.item_number, "linked": b.item_number, "size": 3}
    assert note.actor == world.registrar


def test_a_group_moves_over_when_its_first_item_is_linked_elsewhere(world: World) -> None:
    a, b, c = make_case(), make_case(), make_case()
    case_group_link(case=b, actor=world.registrar, other=a)  # group led by a
    case_group_link(case=fresh(a), actor=world.registrar, other=c)  # a's group joins c's
    assert set(Case.objects.filter(group_root=c).values_list("pk", flat=True)) == {
        a.pk,
        b.pk,
        c.pk,
    }
    with pytest.raises(FieldErrors):
        case_group_link(case=fresh(b), actor=world.registrar, other=fresh(a))


def test_merge_closes_the_duplicate_and_leaves_the_handled_item_alone(world: World) -> None:
    w = world
    first = case_register(case=make_case(), actor=w.registrar)
    first = case_forward(case=first, actor=w.registrar, to_org=w.housing, reason="属地")
    dup = case_register(case=make_case(), actor=w.registrar)
    merged = case_merge(case=dup, actor=w.registrar, into=first)
    assert (merged.status, merged.close_reason) == (S.CLOSED, CloseReason.MERGED)
    assert merged.group_root_id == first.pk
    assert merged.holder_org is None
    # Its own clocks stop; the item it joined keeps its procedure and deadline.
    assert not merged.clocks.filter(stopped_at__isnull=True).exists()
    again = fresh(first)
    assert (again.status, again.due_at, again.group_root_id) == (
        S.FORWARDED,
        first.due_at,
        first.pk,
    )
    assert again.clocks.filter(kind=ClockKind.NOTICE, stopped_at__isnull=True).exists()
    closing = merged.events.get(kind=EventKind.STATUS, to_status=S.CLOSED)
    assert closing.payload["merged_into"] == first.item_number
    assert closing.actor == w.registrar


def test_merge_refuses_what_the_procedure_does_not_allow(world: World) -> None:
    w = world
    a, b = make_case(), make_case()
    with pytest.raises(FieldErrors):
        case_merge(case=a, actor=w.registrar, into=a)
    routed = case_forward(
        case=case_register(case=make_case(), actor=w.registrar),
        actor=w.registrar,
        to_org=w.housing,
    )
    with pytest.raises(InvalidTransition):  # a unit already holds it
        case_merge(case=routed, actor=w.registrar, into=a)
    case_merge(case=b, actor=w.registrar, into=a)
    with pytest.raises(FieldErrors):  # into a closed item
        case_merge(case=make_case(), actor=w.registrar, into=fresh(b))
    with pytest.raises(FieldErrors):  # the first item of a group takes the others in
        case_merge(case=fresh(a), actor=w.registrar, into=make_case())
    accusation = make_case(petition_type="accusation", accused_unit="某单位")
    with pytest.raises(FieldErrors):
        case_merge(case=accusation, actor=w.registrar, into=make_case())
    assert fresh(accusation).status == S.RECEIVED


def test_workbench_merge_and_the_merged_petitioners_tracking_page(world: World) -> None:
    w = world
    first, dup = make_case(), make_case()
    staff = Client()
    force_login_verified(staff, w.registrar)
    url = f"/staff/cases/{dup.pk}/actions/merge/"
    # An unknown number is a field error and nothing changes.
    bad = staff.post(url, {"merge-into": "XF-NOPE"})
    assert bad.status_code == 400
    assert "找不到该信访件编号" in bad.content.decode()
    assert fresh(dup).status == S.RECEIVED
    page = staff.get(f"/staff/cases/{dup.pk}/").content.decode()
    # Triage found the other person's identical text: the merge form proposes it.
    assert f'name="merge-into" value="{first.item_number}"' in page
    ok = staff.post(url, {"merge-into": first.item_number, "merge-reason": "同一工地噪音"})
    assert ok.status_code == 302
    assert fresh(dup).close_reason == CloseReason.MERGED
    group = staff.get(f"/staff/cases/{first.pk}/").content.decode()
    assert 'data-testid="group"' in group
    assert dup.item_number in group

    citizen = Client()
    shown = citizen.post("/track/", {"query_code": dup.query_code, "verify": VALID_PHONE[-4:]})
    html = shown.content.decode()
    assert 'id="track-merged"' in html
    assert first.item_number in html
    api = citizen.get(f"/api/v1/track/{dup.query_code}", {"verify": VALID_PHONE[-4:]})
    assert api.json()["merged_into"]["item_number"] == first.item_number
    assert api.json()["merged_into"]["status_zh"] == status_label(S.RECEIVED).zh


def test_workbench_does_not_merge_into_an_item_out_of_the_users_scope(world: World) -> None:
    w = world
    make_org(kind=OrgKind.PETITION_BUREAU, region_code="430103", name="天心区信访局")
    elsewhere = make_case(region_code="430103")  # another county: the registrar cannot see it
    dup = make_case()
    staff = Client()
    force_login_verified(staff, w.registrar)
    answer = staff.post(
        f"/staff/cases/{dup.pk}/actions/merge/", {"merge-into": elsewhere.item_number}
    )
    assert answer.status_code == 400
    assert fresh(dup).status == S.RECEIVED
    assert fresh(elsewhere).group_root_id is None
