"""On-site verification: staff send a task from the workbench, the grid system pulls it and
posts the result back, and the result lands on the case's log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from xinfang.cases.models import Case, CaseEvent
from xinfang.cases.services import case_register
from xinfang.cases.tests.factories import make_case
from xinfang.core.errors import ApplicationError, FieldErrors
from xinfang.grid.models import GridWorker, VerificationTask
from xinfang.grid.services import (
    IssuedCredentials,
    verification_task_cancel,
    verification_task_create,
)
from xinfang.grid.tests.helpers import EVENTS, PNG_B64, TASKS, call, event
from xinfang.handling.tests.world import World
from xinfang.intake.tests.test_api import PNG
from xinfang.orgs.models import User
from xinfang.orgs.tests.factories import make_org, make_staff, region
from xinfang.signin.tests.helpers import force_login_verified

pytestmark = pytest.mark.django_db


def as_user(user: User) -> Client:
    client = Client()
    force_login_verified(client, user)
    return client


@pytest.fixture
def case(client: Client, world: World, grid: IssuedCredentials) -> Case:
    """A petition that came from a grid event, registered by the county bureau."""
    assert call(client, grid, "POST", EVENTS, event()).status_code == 201
    return case_register(case=Case.objects.get(), actor=world.registrar)


def send_task(user: User, case: Case, **data: Any) -> Any:
    worker = GridWorker.objects.get(external_id="W001")
    body = {
        "worker": worker.pk,
        "question": "请现场核实垃圾是否已清运，并拍照。",
        "due": (timezone.localdate() + timedelta(days=3)).isoformat(),
        **data,
    }
    payload = {f"grid_verify-{k}": v for k, v in body.items()}
    return as_user(user).post(f"/staff/cases/{case.pk}/actions/grid_verify/", payload)


def test_task_round_trip(client: Client, world: World, grid: IssuedCredentials, case: Case) -> None:
    page = as_user(world.registrar).get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'data-action="grid_verify"' in page
    assert send_task(world.registrar, case).status_code == 302
    task = VerificationTask.objects.get()
    assert (task.system, task.status, task.created_by) == (grid.system, "open", world.registrar)
    assert CaseEvent.objects.filter(case=case, kind="note", payload__grid_task=task.pk).exists()

    pulled = call(client, grid, "GET", f"{TASKS}?grid_code=430102001-01").json()
    assert [t["id"] for t in pulled["tasks"]] == [task.pk]
    item = pulled["tasks"][0]
    assert item["item_number"] == case.item_number
    assert item["worker_id"] == "W001"
    assert item["address"] == "五一大道 100 号小区门口"
    assert item["question"] == "请现场核实垃圾是否已清运，并拍照。"
    assert call(client, grid, "GET", f"{TASKS}?grid_code=elsewhere").json()["tasks"] == []

    result = {
        "result": "现场核实：垃圾已于今日上午清运完毕。",
        "verified_at": "2026-11-28T10:00:00+08:00",
        "photos": [{"filename": "清运后.png", "content_base64": PNG_B64}],
    }
    url = f"{TASKS}/{task.pk}/result"
    assert call(client, grid, "POST", url, result).status_code == 201
    assert call(client, grid, "POST", url, result).status_code == 200  # redelivery
    changed = {**result, "result": "其实还没清运。"}
    assert call(client, grid, "POST", url, changed).status_code == 409

    task.refresh_from_db()
    assert task.status == "done"
    assert task.photos.count() == 1
    events = CaseEvent.objects.filter(case=case, payload__grid_result=True)
    assert events.count() == 1
    assert "垃圾已于今日上午清运完毕" in events.get().reason
    assert events.get().to_status == ""  # an event, not a status change
    assert Case.objects.get(pk=case.pk).status == case.status
    assert call(client, grid, "GET", TASKS).json()["tasks"] == []  # no longer open

    # Staff read the result on the case's log and the photos on the task page.
    staff = as_user(world.registrar)
    assert "垃圾已于今日上午清运完毕" in staff.get(f"/staff/cases/{case.pk}/").content.decode()
    tasks_page = staff.get(f"/staff/grid/cases/{case.pk}/tasks/").content.decode()
    assert "垃圾已于今日上午清运完毕" in tasks_page
    photo = task.photos.get()
    response = staff.get(f"/staff/grid/photos/{photo.pk}/")
    assert response.status_code == 200
    assert response.getvalue() == PNG


def test_a_pulled_task_carries_the_question_but_not_the_petition(
    client: Client, world: World, grid: IssuedCredentials, case: Case
) -> None:
    """The grid system learns what to check, in staff's words, and nothing of what the
    petitioner wrote: not even the title, which is often the heart of the complaint."""
    send_task(world.registrar, case)
    response = call(client, grid, "GET", TASKS)
    (item,) = response.json()["tasks"]
    assert "title" not in item
    assert case.title not in response.content.decode()
    assert item["question"] == "请现场核实垃圾是否已清运，并拍照。"


@pytest.fixture(params=["submitted", "marked"])
def accusation(request: Any, client: Client, world: World, grid: IssuedCredentials) -> Case:
    """A confidential accusation: posted as one by the grid, or marked so by staff later."""
    kind = "accusation" if request.param == "submitted" else "appeal"
    assert call(client, grid, "POST", EVENTS, event(petition_type=kind)).status_code == 201
    case = case_register(case=Case.objects.get(), actor=world.registrar)
    if request.param == "marked":
        Case.objects.filter(pk=case.pk).update(is_confidential_accusation=True)
        case.refresh_from_db()
    assert case.is_confidential_accusation
    return case


# The grid is often run by the township that may be the accused unit (DESIGN §3.5): an
# accusation is never sent out to it.


def test_the_workbench_offers_no_grid_task_for_a_confidential_accusation(
    client: Client, world: World, grid: IssuedCredentials, accusation: Case
) -> None:
    events_before = CaseEvent.objects.filter(case=accusation).count()
    page = as_user(world.registrar).get(f"/staff/cases/{accusation.pk}/").content.decode()
    assert 'data-action="grid_verify"' not in page
    assert send_task(world.registrar, accusation).status_code == 403
    assert not VerificationTask.objects.exists()
    assert CaseEvent.objects.filter(case=accusation).count() == events_before
    assert call(client, grid, "GET", TASKS).json()["tasks"] == []


def test_the_service_refuses_a_grid_task_for_a_confidential_accusation(
    world: World, accusation: Case
) -> None:
    events_before = CaseEvent.objects.filter(case=accusation).count()
    with pytest.raises(ApplicationError) as refused:
        verification_task_create(
            case=accusation,
            actor=world.registrar,
            worker=GridWorker.objects.get(),
            question="核实",
            due_at=timezone.now() + timedelta(days=1),
        )
    assert refused.value.code == "accusation_confidential"
    assert "检举控告" in refused.value.message.zh
    assert not VerificationTask.objects.exists()
    assert CaseEvent.objects.filter(case=accusation).count() == events_before


def test_result_for_another_systems_task_is_not_found(
    client: Client, world: World, case: Case, other_grid: IssuedCredentials
) -> None:
    send_task(world.registrar, case)
    task = VerificationTask.objects.get()
    assert call(client, other_grid, "GET", TASKS).json()["tasks"] == []
    response = call(client, other_grid, "POST", f"{TASKS}/{task.pk}/result", {"result": "已核实"})
    assert response.status_code == 404
    task.refresh_from_db()
    assert task.status == "open"
    assert not CaseEvent.objects.filter(case=case, payload__grid_result=True).exists()


def test_bad_result_gets_field_messages(
    client: Client, world: World, grid: IssuedCredentials, case: Case
) -> None:
    send_task(world.registrar, case)
    task = VerificationTask.objects.get()
    response = call(client, grid, "POST", f"{TASKS}/{task.pk}/result", {"result": ""})
    assert response.status_code == 400
    assert "result" in response.json()["errors"]
    bad_photo = {"result": "已核实", "photos": [{"content_base64": "aGVsbG8gd29ybGQ="}]}
    response = call(client, grid, "POST", f"{TASKS}/{task.pk}/result", bad_photo)
    assert "photos" in response.json()["errors"]
    assert VerificationTask.objects.get().status == "open"


def test_since_reports_cancelled_tasks_and_cancelled_tasks_take_no_result(
    client: Client, world: World, grid: IssuedCredentials, case: Case
) -> None:
    before = timezone.now() - timedelta(seconds=1)
    send_task(world.registrar, case)
    task = VerificationTask.objects.get()
    verification_task_cancel(task=task, actor=world.registrar)
    assert call(client, grid, "GET", TASKS).json()["tasks"] == []
    since = before.isoformat().replace("+00:00", "Z")
    changed = call(client, grid, "GET", f"{TASKS}?since={since}").json()
    assert [(t["id"], t["status"]) for t in changed["tasks"]] == [(task.pk, "cancelled")]
    assert changed["next_since"]
    response = call(client, grid, "POST", f"{TASKS}/{task.pk}/result", {"result": "已核实"})
    assert response.status_code == 409
    assert call(client, grid, "GET", f"{TASKS}?since=soon").status_code == 400


def test_task_form_checks_due_date_and_question(world: World, case: Case) -> None:
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert send_task(world.registrar, case, due=past).status_code == 400
    assert send_task(world.registrar, case, question="").status_code == 400
    assert not VerificationTask.objects.exists()


def test_a_worker_of_another_place_is_refused(world: World, case: Case) -> None:
    elsewhere = GridWorker.objects.create(
        system=GridWorker.objects.get().system,
        external_id="W900",
        grid_code="430103-9",
        region=region("430103"),
        name="李网格",
    )
    with pytest.raises(FieldErrors) as refused:
        verification_task_create(
            case=case,
            actor=world.registrar,
            worker=elsewhere,
            question="核实",
            due_at=timezone.now() + timedelta(days=1),
        )
    assert "worker" in refused.value.errors


def test_only_staff_who_work_the_case_may_send_tasks(world: World, case: Case) -> None:
    outsider = make_staff(org=make_org(region_code="430103"))
    assert send_task(outsider, case).status_code == 404
    assert send_task(world.revisit, case).status_code == 403
    assert as_user(outsider).get(f"/staff/grid/cases/{case.pk}/tasks/").status_code == 404
    assert not VerificationTask.objects.exists()


def test_no_action_where_no_grid_worker_covers_the_place(
    world: World, grid: IssuedCredentials
) -> None:
    # A connected grid with a worker — but in 天心区, not in the case's 芙蓉区.
    GridWorker.objects.create(
        system=grid.system,
        external_id="W901",
        grid_code="430103-1",
        region=region("430103"),
        name="王网格",
    )
    case = case_register(case=make_case(), actor=world.registrar)
    page = as_user(world.registrar).get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'data-action="grid_verify"' not in page


def test_roster_sync_makes_workers_available_for_tasks(
    client: Client, world: World, grid: IssuedCredentials
) -> None:
    case = case_register(case=make_case(), actor=world.registrar)
    roster: dict[str, Any] = {
        "workers": [
            {
                "id": "W7",
                "name": "周网格",
                "phone": "13807317777",
                "grid_code": "G7",
                "region_code": "430102",
            },
        ]
    }
    response = call(client, grid, "POST", "/api/grid/v1/workers", roster)
    assert response.json() == {"created": 1, "updated": 0}
    worker = GridWorker.objects.get(external_id="W7")
    assert worker.phone == "13807317777"
    page = as_user(world.registrar).get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'data-action="grid_verify"' in page
    roster["workers"][0]["active"] = False
    again = call(client, grid, "POST", "/api/grid/v1/workers", roster)
    assert again.json() == {"created": 0, "updated": 1}
    page = as_user(world.registrar).get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'data-action="grid_verify"' not in page


def test_roster_rows_outside_the_area_refuse_the_whole_roster(
    client: Client, grid: IssuedCredentials
) -> None:
    good = {"id": "W1", "name": "甲", "grid_code": "G1", "region_code": "430102"}
    rows = [good, {**good, "id": "W2", "region_code": "430103"}, {**good, "region_code": "1"}]
    response = call(client, grid, "POST", "/api/grid/v1/workers", {"workers": rows})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"workers.1.region_code", "workers.2.region_code"}
    assert not GridWorker.objects.exists()
