"""Whistleblower rule, recusal, objections (退单) and the not-accepted outcomes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from xinfang.cases.models import AccessRelation, Case, ClockKind
from xinfang.cases.selectors import case_get_for_user
from xinfang.cases.services import InvalidTransition, case_register
from xinfang.cases.tests.factories import make_case
from xinfang.cases.workflow import CaseStatus, CloseReason
from xinfang.clock.engine import TZ
from xinfang.core.errors import ApplicationError, FieldErrors
from xinfang.documents.choices import DocumentKind
from xinfang.handling.services import (
    case_accept,
    case_accused_set,
    case_forward,
    case_not_accept,
    case_object,
    case_objection_decide,
    case_transfer_accusation,
)
from xinfang.handling.tests.world import World
from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_org, make_staff

S = CaseStatus


def accusation(w: World) -> Case:
    case = make_case(petition_type="accusation", accused_unit="芙蓉区住房和城乡建设局")
    case = case_register(case=case, actor=w.registrar)
    # Not routable before the registrar has named the accused unit in the tree.
    with pytest.raises(ApplicationError) as unknown:
        case_forward(case=case, actor=w.registrar, to_org=w.county_gov)
    assert unknown.value.code == "accused_unknown"
    return case_accused_set(case=case, actor=w.registrar, org=w.housing)


def test_an_accusation_never_reaches_the_accused_unit_or_below(world: World) -> None:
    case = accusation(world)
    for target in (world.housing, world.street):
        with pytest.raises(ApplicationError) as refused:
            case_forward(case=case, actor=world.registrar, to_org=target)
        assert refused.value.code == "whistleblower_guard"
    case.refresh_from_db()
    assert case.status == S.REGISTERED
    assert case_get_for_user(user=world.handler, case_id=case.pk) is None
    # It goes to discipline inspection instead (T25).
    case = case_transfer_accusation(case=case, actor=world.registrar, to_org=world.discipline)
    assert (case.status, case.close_reason) == (S.CLOSED, CloseReason.ACCUSATION_TRANSFERRED)


def test_a_handler_from_the_accused_unit_or_named_in_the_case_recuses(world: World) -> None:
    case = make_case(accused_person="王某某")
    case = case_register(case=case, actor=world.registrar)
    case = case_forward(case=case, actor=world.registrar, to_org=world.county_gov)
    named = make_staff(org=world.county_gov, role=Role.HANDLER)
    named.full_name = "王某某"
    named.save()
    with pytest.raises(ApplicationError) as refused:
        case_accept(case=case, actor=named)
    assert refused.value.code == "recusal"
    Case.objects.filter(pk=case.pk).update(accused_org=world.county_gov)
    case.refresh_from_db()
    colleague = make_staff(org=world.county_gov, role=Role.HANDLER)
    with pytest.raises(ApplicationError):
        case_accept(case=case, actor=colleague)
    assert Case.objects.get(pk=case.pk).status == S.FORWARDED


def test_objection_within_five_working_days_then_rerouted(world: World) -> None:
    culture = make_org(region_code="430102", parent=world.county_gov, name="芙蓉区文旅局")
    start = datetime(2025, 9, 26, 10, tzinfo=TZ)  # 5 working days → 2025-10-10
    with time_machine.travel(start, tick=False):
        case = case_register(case=make_case(), actor=world.registrar)
        case = case_forward(case=case, actor=world.registrar, to_org=world.housing)
    window = case.clocks.get(kind=ClockKind.OBJECTION)
    assert window.due_at == datetime(2025, 10, 10, 23, 59, 59, tzinfo=TZ)
    with time_machine.travel(start + timedelta(days=3), tick=False):
        with pytest.raises(FieldErrors):
            case_object(case=case, actor=world.handler, reason=" ", suggested_org=culture)
        case = case_object(
            case=case, actor=world.handler, reason="属文旅部门职责", suggested_org=culture
        )
    assert (case.status, case.holder_org) == (S.OBJECTED, world.bureau)
    # The bureau now owes a decision within 3 working days of Mon 09-29: Tue 09-30, then the
    # National Day break (10-01…10-08), Thu 10-09 and Fri 10-10.
    decide = case.clocks.get(kind=ClockKind.OBJECTION_DECIDE)
    assert decide.org == world.bureau
    assert decide.due_at == datetime(2025, 10, 10, 23, 59, 59, tzinfo=TZ)
    case = case_objection_decide(case=case, actor=world.registrar, agree=True, new_org=culture)
    decide.refresh_from_db()
    assert decide.stopped_at is not None
    assert (case.status, case.lead_org, case.holder_org) == (S.FORWARDED, culture, culture)
    # The unit that returned it no longer sees it.
    assert not case.access.filter(org=world.housing, is_active=True).exists()
    assert case_get_for_user(user=world.handler, case_id=case.pk) is None


def test_a_late_objection_is_refused_and_a_rejected_one_returns_the_case(world: World) -> None:
    start = datetime(2025, 9, 26, 10, tzinfo=TZ)
    with time_machine.travel(start, tick=False):
        case = case_register(case=make_case(), actor=world.registrar)
        case = case_forward(case=case, actor=world.registrar, to_org=world.housing)
    with (
        time_machine.travel(datetime(2025, 10, 11, 9, tzinfo=TZ), tick=False),
        pytest.raises(ApplicationError) as late,
    ):
        case_object(case=case, actor=world.handler, reason="不属本单位", suggested_org=None)
    assert late.value.code == "objection_late"
    with time_machine.travel(datetime(2025, 9, 29, 9, tzinfo=TZ), tick=False):
        case = case_object(case=case, actor=world.handler, reason="不属本单位", suggested_org=None)
        case = case_objection_decide(
            case=case, actor=world.registrar, agree=False, reason="属住建部门职责，请依法办理"
        )
    assert (case.status, case.holder_org) == (S.FORWARDED, world.housing)
    notice = case.clocks.filter(kind=ClockKind.NOTICE).order_by("-pk")
    assert notice[0].due_at == notice[1].due_at  # the clock runs on from the first forwarding
    assert case.access.filter(org=world.housing, relation=AccessRelation.LEAD, is_active=True)


def test_diversion_records_the_channel_and_the_notice(world: World) -> None:
    case = case_register(case=make_case(), actor=world.registrar)
    with pytest.raises(FieldErrors) as missing:
        case_not_accept(
            case=case, actor=world.registrar, outcome=S.DIVERTED, reason="已起诉", rule="level_skip"
        )
    assert set(missing.value.errors) == {"channel"}
    with pytest.raises(FieldErrors) as misfit:
        case_not_accept(
            case=case,
            actor=world.registrar,
            outcome=S.DIVERTED,
            reason="已起诉",
            rule="level_skip",
            channel="court",
        )
    assert set(misfit.value.errors) == {"rule"}
    case = case_not_accept(
        case=case,
        actor=world.registrar,
        outcome=S.DIVERTED,
        reason="该事项已进入诉讼程序",
        rule="litigation",
        channel="court",
    )
    assert case.status == S.DIVERTED
    assert case.events.get(to_status=S.DIVERTED).payload["rule"] == "litigation"
    assert case.documents.filter(kind=DocumentKind.DIVERT_NOTICE).exists()
    with pytest.raises(InvalidTransition):
        case_forward(case=case, actor=world.registrar, to_org=world.housing)


def test_a_bureau_passes_a_forwarded_item_down_the_levels(world: World) -> None:
    from xinfang.orgs.models import OrgKind
    from xinfang.orgs.tests.factories import make_bureau

    city = make_bureau("430100")
    city_registrar = make_staff(org=city, role=Role.REGISTRAR)
    county_registrar = make_staff(org=world.bureau, role=Role.REGISTRAR)
    case = make_case(region_code="430100")  # registered by the city bureau
    assert case.register_org == city
    case = case_register(case=case, actor=city_registrar)
    case = case_forward(case=case, actor=city_registrar, to_org=world.bureau)
    # The city bureau cannot pass it on again: only the unit now holding it can.
    with pytest.raises(ApplicationError):
        case_forward(case=case, actor=city_registrar, to_org=world.housing)
    case = case_forward(case=case, actor=county_registrar, to_org=world.housing)
    assert (case.status, case.lead_org, case.holder_org) == (
        S.FORWARDED,
        world.housing,
        world.housing,
    )
    relations = set(case.access.filter(is_active=True).values_list("org__kind", "relation"))
    assert (OrgKind.PETITION_BUREAU, "forward") in relations  # the county bureau forwarded it
    assert case_get_for_user(user=county_registrar, case_id=case.pk) is not None
