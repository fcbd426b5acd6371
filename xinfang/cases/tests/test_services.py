from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.db import connection

from xinfang.cases.models import Case, CaseClock, CaseEvent, EventKind, Petitioner
from xinfang.cases.services import InvalidTransition, case_register, case_transition
from xinfang.cases.tests.factories import VALID_ID, VALID_PHONE, make_case
from xinfang.cases.workflow import (
    CLOSE_RULES,
    PETITIONER_MOVES,
    TRANSITIONS,
    Actor,
    CaseStatus,
    CloseReason,
    perms_for,
)
from xinfang.clock.engine import TZ
from xinfang.core import crypto
from xinfang.core.errors import ApplicationError
from xinfang.orgs.models import User
from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_bureau, make_org, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau() -> Any:
    return make_bureau("430100")


def test_item_numbers_are_sequential_per_organ_and_year(bureau: Any) -> None:
    other = make_bureau("430200")
    a = make_case()
    b = make_case()
    c = make_case(region_code="430202")
    year = a.received_at.year
    assert a.item_number == f"{bureau.code}-{year}-000001"
    assert b.item_number == f"{bureau.code}-{year}-000002"
    assert c.item_number == f"{other.code}-{year}-000001"


def test_nearest_bureau_registers(bureau: Any) -> None:
    county = make_bureau("430102")
    assert make_case(region_code="430102001").register_org == county  # a street in 芙蓉区
    assert make_case(region_code="430103").register_org == bureau  # 天心区 has none of its own


def test_receipt_writes_one_public_event(bureau: Any) -> None:
    case = make_case()
    events = list(case.events.filter(is_public=True))
    assert [(e.kind, e.to_status, e.is_public) for e in events] == [
        (EventKind.RECEIVED, CaseStatus.RECEIVED, True)
    ]
    # The job after intake left its suggestions for staff only.
    assert case.events.get(kind=EventKind.TRIAGE).is_public is False
    assert case.register_org == bureau
    assert not case.access.exists()  # the registering organ's access is the case row itself


def test_accusations_are_confidential_and_never_published(bureau: Any) -> None:
    case = make_case(petition_type="accusation", consent_publish=True, accused_unit="某局")
    assert case.is_confidential_accusation
    assert not case.consent_publish


def test_registrar_registers_and_event_records_actor(bureau: Any) -> None:
    registrar = make_staff(org=bureau, role=Role.REGISTRAR)
    case = case_register(case=make_case(), actor=registrar, reason="资料齐全")
    assert case.status == CaseStatus.REGISTERED
    assert case.registered_at is not None
    event = case.events.get(kind=EventKind.STATUS)
    assert (event.from_status, event.to_status) == (CaseStatus.RECEIVED, CaseStatus.REGISTERED)
    assert event.actor == registrar
    assert event.actor_org == bureau
    assert event.reason == "资料齐全"


def test_handler_may_not_register(bureau: Any) -> None:
    handler = make_staff(org=bureau, role=Role.HANDLER)
    case = make_case()
    with pytest.raises(ApplicationError) as exc:
        case_register(case=case, actor=handler)
    assert exc.value.code == "forbidden"
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED
    assert not case.events.filter(kind=EventKind.STATUS).exists()


def test_registrar_of_another_unit_cannot_touch_the_case(bureau: Any) -> None:
    stranger = make_staff(org=make_bureau("430200"), role=Role.REGISTRAR)
    with pytest.raises(ApplicationError) as exc:
        case_register(case=make_case(), actor=stranger)
    assert exc.value.code == "not_found"


def test_stale_copy_cannot_move_a_case_twice(bureau: Any) -> None:
    registrar = make_staff(org=bureau, role=Role.REGISTRAR)
    case = make_case()
    stale = Case.objects.get(pk=case.pk)
    case_register(case=case, actor=registrar)
    with pytest.raises(InvalidTransition):
        case_register(case=stale, actor=registrar)
    assert case.events.filter(kind=EventKind.STATUS).count() == 1


def _close_reason_from(current: CaseStatus) -> CloseReason | None:
    return next((r for r, (_a, _p, src) in CLOSE_RULES.items() if current in src), None)


@pytest.mark.parametrize("current", list(CaseStatus))
@pytest.mark.parametrize("target", list(CaseStatus))
def test_transition_table_is_the_only_authority(
    bureau: Any, current: CaseStatus, target: CaseStatus
) -> None:
    """Every pair of states: allowed moves succeed for their kind of actor, others are refused
    whoever asks, and a refused move changes nothing."""
    case = make_case()
    # Put the case into `current` directly, as a fixture would; only the service is under test.
    Case.objects.filter(pk=case.pk).update(status=current)
    case.refresh_from_db()
    admin = User.objects.create_superuser("root", password="x")  # sees and may do everything
    events = case.events.count()
    allowed = target in TRANSITIONS.get(current, frozenset())
    if not allowed:
        for actor in (None, admin):
            with pytest.raises(InvalidTransition):
                case_transition(
                    case=case, to=target, actor=actor, close_reason=_close_reason_from(current)
                )
        assert Case.objects.get(pk=case.pk).status == current
        assert case.events.count() == events
        return
    reason = _close_reason_from(current) if target == CaseStatus.CLOSED else None
    if reason is not None:
        actors = CLOSE_RULES[reason][0]
        by = Actor.STAFF if Actor.STAFF in actors else next(iter(actors))
    else:
        by = Actor.STAFF if perms_for(current, target) else Actor.PETITIONER
    assert by != Actor.STAFF or perms_for(current, target) or reason is not None
    case_transition(
        case=case, to=target, actor=admin if by == Actor.STAFF else None, by=by, close_reason=reason
    )
    assert Case.objects.get(pk=case.pk).status == target
    event = case.events.filter(kind=EventKind.STATUS).get()
    assert (event.from_status, event.to_status, event.payload["by"]) == (current, target, by)


def test_every_legal_move_has_an_actor() -> None:
    for current, targets in TRANSITIONS.items():
        for target in targets:
            if target == CaseStatus.CLOSED:
                assert _close_reason_from(current) is not None, current
            else:
                assert perms_for(current, target) or target in PETITIONER_MOVES, (current, target)


def test_personal_data_is_encrypted_at_rest(bureau: Any) -> None:
    address = "湖南省长沙市芙蓉区五一大道一号"
    case = make_case(
        petitioner={
            "name": "欧阳修文",
            "phone": VALID_PHONE,
            "id_number": VALID_ID,
            "address": address,
        }
    )
    person = Petitioner.objects.get(case=case)
    assert (person.name, person.phone, person.id_number, person.address) == (
        "欧阳修文",
        VALID_PHONE,
        VALID_ID,
        address,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, phone, id_number, address, phone_index, id_index "
            "FROM cases_petitioner WHERE id = %s",
            [person.pk],
        )
        raw = cursor.fetchone()
    for plaintext in ("欧阳修文", VALID_PHONE, VALID_ID, address, VALID_PHONE[-8:]):
        assert all(plaintext not in str(col) for col in raw)
    assert raw[4] == crypto.blind_index(VALID_PHONE, context="phone")
    assert raw[5] == crypto.blind_index(VALID_ID, context="id")
    dump = _whole_database_text()
    assert VALID_PHONE not in dump
    assert VALID_ID not in dump
    assert "欧阳修文" not in dump


def _whole_database_text() -> str:
    """Every row of every table as text: SQLite's dump or PostgreSQL's row-to-text."""
    if connection.vendor == "sqlite":
        return "\n".join(connection.connection.iterdump())
    chunks: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT t::text FROM "{table}" t')  # noqa: S608 (introspected names)
            chunks.extend(row[0] for row in cursor.fetchall())
    return "\n".join(chunks)


def test_blind_index_finds_the_same_phone_across_petitions(bureau: Any) -> None:
    make_case()
    make_case(petitioner={"name": "王五", "phone": "13800000000"})
    make_case()
    index = crypto.blind_index(VALID_PHONE, context="phone")
    assert Petitioner.objects.filter(phone_index=index).count() == 2


def test_route_suggestion_uses_the_dispatch_catalogue(bureau: Any) -> None:
    from xinfang.catalog.models import Category, DispatchRule
    from xinfang.orgs.models import Region

    housing = make_org(region_code="430100", name="长沙市住房和城乡建设局")
    top = Category.objects.get(code="010000")  # 城乡建设
    DispatchRule.objects.create(
        category=top, region=Region.objects.get(code="430100"), lead_org=housing
    )
    case = make_case(category_code="010101", region_code="430102")
    event = case.events.get(kind=EventKind.ROUTE_SUGGESTED)  # the task ran on commit
    assert event.payload["lead_org"] == housing.pk
    assert event.payload["source"] == "dispatch_catalogue"


def test_event_log_rows_are_never_updated_by_services(bureau: Any) -> None:
    registrar = make_staff(org=bureau, role=Role.REGISTRAR)
    case = make_case()
    first = list(CaseEvent.objects.filter(case=case).values())
    case_register(case=case, actor=registrar)
    assert list(CaseEvent.objects.filter(case=case).values())[: len(first)] == first


@pytest.fixture
def holidays_loaded() -> None:
    """The holiday table, whatever earlier tests (browser tests flush tables) left behind."""
    from xinfang.clock.services import calendar_load_year

    for year in (2025, 2026, 2027):
        calendar_load_year(year=year)


def test_receipt_starts_the_fifteen_day_routing_clock(bureau: Any, holidays_loaded: None) -> None:
    import time_machine

    # Received Sat 2025-09-20: day 15 is Sun 10-05, inside the National Day break → Thu 10-09.
    with time_machine.travel(datetime(2025, 9, 20, 9, tzinfo=TZ), tick=False):
        case = make_case()
    assert case.clocks.get().profile.code == "route-15d"
    assert case.due_at == datetime(2025, 10, 9, 23, 59, 59, tzinfo=TZ)
    assert not case.due_provisional
    assert case.events.get(kind=EventKind.RECEIVED).deadline_after == case.due_at


def test_a_clock_reaching_an_unpublished_year_is_provisional(
    bureau: Any, client: Any, holidays_loaded: None
) -> None:
    import time_machine

    with time_machine.travel(datetime(2026, 12, 20, 9, tzinfo=TZ), tick=False):
        case = make_case()
    assert case.due_provisional  # 2027's official schedule is not loaded yet
    body = client.get(f"/api/v1/track/{case.query_code}", {"verify": "1234"}).json()
    assert body["due_provisional"] is True
    assert body["due_at"].startswith("2027-01-04")


def test_official_schedule_moves_provisional_deadlines_with_an_event(
    bureau: Any, holidays_loaded: None, django_capture_on_commit_callbacks: Any
) -> None:
    from datetime import date

    import time_machine

    from xinfang.clock.services import calendar_publish_year

    with time_machine.travel(datetime(2026, 12, 20, 9, tzinfo=TZ), tick=False):
        pending = make_case()
        settled = make_case(region_code="430103")
    # e.g. already recomputed: only clocks still marked provisional are revisited.
    CaseClock.objects.filter(case=settled).update(provisional=False)
    assert pending.due_at.date() == date(2027, 1, 4)
    # The State Council's 2027 notice (imagined here): Mon 2027-01-04 becomes a day off.
    with django_capture_on_commit_callbacks(execute=True):
        calendar_publish_year(
            year=2027,
            days=[(date(2027, 1, 1), False, "元旦"), (date(2027, 1, 4), False, "元旦调休")],
        )
    pending.refresh_from_db()
    assert not pending.due_provisional
    assert pending.due_at == datetime(2027, 1, 5, 23, 59, 59, tzinfo=TZ)
    event = pending.events.get(kind=EventKind.DEADLINE)
    assert event.deadline_before.date() == date(2027, 1, 4)
    assert event.deadline_after == pending.due_at
    assert not settled.events.filter(kind=EventKind.DEADLINE).exists()


def test_publishing_refuses_dates_of_another_year(holidays_loaded: None) -> None:
    from datetime import date

    from xinfang.clock.services import calendar_publish_year

    with pytest.raises(ValueError, match="2027"):
        calendar_publish_year(year=2027, days=[(date(2028, 1, 1), False, "元旦")])


def test_route_suggestion_falls_back_to_the_local_government(bureau: Any) -> None:
    from xinfang.orgs.models import OrgKind

    city_government = make_org(kind=OrgKind.GOVERNMENT, region_code="430100", name="长沙市人民政府")
    case = make_case(region_code="430102")  # no category, no dispatch rule: 兜底
    event = case.events.get(kind=EventKind.ROUTE_SUGGESTED)
    assert event.payload["lead_org"] == city_government.pk
    assert event.payload["source"] == "fallback_government"
