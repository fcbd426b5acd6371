"""Grid events over HTTP: one petition per (system, event id), field errors, credentials."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from xinfang.cases.models import Attachment, Case
from xinfang.grid.models import GridEvent, GridWorker
from xinfang.grid.services import IssuedCredentials, grid_system_create, grid_system_rotate
from xinfang.grid.tests.helpers import EVENTS, call, event
from xinfang.notify.models import ContactPoint
from xinfang.orgs.tests.factories import region

pytestmark = pytest.mark.django_db


def test_event_posted_twice_is_one_petition_with_channel_grid(
    client: Client, grid: IssuedCredentials
) -> None:
    first = call(client, grid, "POST", EVENTS, event())
    again = call(client, grid, "POST", EVENTS, event())
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["item_number"] == again.json()["item_number"]
    case = Case.objects.get()
    assert case.channel == "grid"
    assert case.region.code == "430102"
    assert "垃圾堆放" in case.content
    assert "五一大道 100 号小区门口" in case.content
    # The base64 photo is an attachment; the link is kept as a link.
    assert Attachment.objects.get(case=case).original_name == "现场.png"
    record = GridEvent.objects.get()
    assert (record.case, record.event_id, record.grid_code) == (
        case,
        "EV-2026-0001",
        "430102001-01",
    )
    assert record.photo_urls == ["https://grid.example.org/photos/1.jpg"]
    assert str(record.latitude) == "28.195833"
    # The reporter is known as this system's worker now, and hears back as proxy.
    worker = GridWorker.objects.get()
    assert (worker.external_id, worker.name, worker.phone) == ("W001", "张网格", "13807310001")
    assert record.worker == worker
    contacts = {(c.medium, c.address, c.role) for c in ContactPoint.objects.filter(case=case)}
    assert contacts == {("sms", "13807310001", "proxy")}
    # Without a resident named, the reporting worker stands as the petitioner.
    assert case.petitioners.get().name == "张网格"


def test_the_events_address_is_encrypted_at_rest(client: Client, grid: IssuedCredentials) -> None:
    """Often a home address: personal data, encrypted like the petitioner's (DESIGN §3.6)."""
    assert call(client, grid, "POST", EVENTS, event()).status_code == 201
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM grid_gridevent")
        (raw,) = cursor.fetchone()
    assert raw
    assert "五一大道" not in raw
    assert GridEvent.objects.get().address == "五一大道 100 号小区门口"


def test_an_event_without_a_title_is_titled_from_its_description(
    client: Client, grid: IssuedCredentials
) -> None:
    """The title is the description's first line, cut short as a typed title would be."""
    long = "小区门口垃圾堆放三天无人清运，气味很大，居民反映强烈，希望有关部门尽快处理。\n其他情况"
    bodies = [event(), event(event_id="EV-2", description=long)]
    for body in bodies:
        assert call(client, grid, "POST", EVENTS, body).status_code == 201
    short, cut = (c.title for c in Case.objects.order_by("pk"))
    assert short == "小区门口垃圾堆放三天无人清运，气味很大，居民反映强烈。"
    assert len(cut) == 30
    assert cut.startswith("小区门口垃圾堆放三天")
    assert cut.endswith("…")


def test_the_resident_concerned_is_the_petitioner(client: Client, grid: IssuedCredentials) -> None:
    body = event(event_id="EV-2", petitioner={"name": "王大妈", "phone": "13907312222"})
    assert call(client, grid, "POST", EVENTS, body).status_code == 201
    case = Case.objects.get()
    assert case.petitioners.get().name == "王大妈"
    contacts = {(c.address, c.role) for c in ContactPoint.objects.filter(case=case)}
    assert contacts == {("13807310001", "proxy"), ("13907312222", "petitioner")}


def test_same_event_id_from_another_system_is_another_petition(
    client: Client, grid: IssuedCredentials
) -> None:
    city = grid_system_create(code="changsha", name="长沙市网格平台", region=region("430100"))
    assert call(client, grid, "POST", EVENTS, event()).status_code == 201
    assert call(client, city, "POST", EVENTS, event()).status_code == 201
    assert Case.objects.count() == 2


def test_same_event_id_with_a_different_body_conflicts(
    client: Client, grid: IssuedCredentials
) -> None:
    call(client, grid, "POST", EVENTS, event())
    changed = event(description="小区门口垃圾已经堆放了整整一周，无人清运，臭气熏天。")
    response = call(client, grid, "POST", EVENTS, changed)
    assert response.status_code == 409
    assert Case.objects.count() == 1


def errors_of(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    return body["errors"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"event_id": "has space"}, "event_id"),
        ({"description": "太短"}, "description"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"reporter": {"name": "张网格", "phone": "12345"}}, "reporter.phone"),
        ({"place": {"region_code": "999999"}}, "place.region_code"),
        ({"place": {"region_code": "430102", "latitude": 123}}, "place.latitude"),
        ({"photos": [{"url": "ftp://x.example/1.jpg"}]}, "photos.0.url"),
        ({"photos": [{"content_base64": "***"}]}, "photos.0.content_base64"),
        ({"photos": [{}]}, "photos.0._"),
        ({"photos": [{"content_base64": "aGVsbG8gd29ybGQ="}]}, "photos"),
        ({"petition_type": "nonsense"}, "petition_type"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_events_get_field_messages(
    client: Client, grid: IssuedCredentials, change: dict[str, Any], field: str
) -> None:
    errors = errors_of(call(client, grid, "POST", EVENTS, event(**change)))
    assert field in errors, errors
    assert errors[field][0]["zh"]
    assert errors[field][0]["en"]
    assert Case.objects.count() == 0


def test_missing_fields_are_all_reported(client: Client, grid: IssuedCredentials) -> None:
    errors = errors_of(call(client, grid, "POST", EVENTS, {}))
    for field in ("event_id", "grid_code", "reporter", "place", "category", "description"):
        assert field in errors


def test_a_place_outside_the_systems_area_is_refused(
    client: Client, grid: IssuedCredentials
) -> None:
    body = event(place={"region_code": "430103", "address": "天心区某地"})
    errors = errors_of(call(client, grid, "POST", EVENTS, body))
    assert errors["place.region_code"][0]["en"] == "This place is outside this grid system's area."


@pytest.mark.parametrize("header", ["", "Bearer wrong-token", "Bearer", "Basic abc"])
def test_bad_credentials_are_refused(client: Client, grid: IssuedCredentials, header: str) -> None:
    headers = {"Authorization": header} if header else {}
    response = call(client, None, "POST", EVENTS, event(), **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Case.objects.count() == 0


def test_disabled_system_and_rotated_token_are_refused(
    client: Client, grid: IssuedCredentials
) -> None:
    fresh = grid_system_rotate(system=grid.system)
    assert call(client, grid, "POST", EVENTS, event()).status_code == 401
    assert call(client, fresh, "GET", "/api/grid/v1/tasks").status_code == 200
    grid.system.is_active = False
    grid.system.save()
    assert call(client, fresh, "GET", "/api/grid/v1/tasks").status_code == 401


def test_staff_session_is_not_a_grid_credential(admin_client: Client, grid: Any) -> None:
    assert call(admin_client, None, "POST", EVENTS, event()).status_code == 401
    assert not Case.objects.exists()
    assert not GridEvent.objects.exists()
    assert not GridWorker.objects.exists()


def test_signed_system_needs_a_valid_signature(client: Client, world: Any) -> None:
    creds = grid_system_create(code="signed", name="签名网格", region=region("430102"), signed=True)
    assert call(client, creds, "POST", EVENTS, event()).status_code == 201
    stale = str(int(time.time()) - 3600)
    bad = [
        {"X-Grid-Signature": "0" * 64},
        {"X-Grid-Timestamp": stale},
        {"X-Grid-Timestamp": "", "X-Grid-Signature": ""},
    ]
    for headers in bad:
        response = call(client, creds, "POST", EVENTS, event(event_id="EV-9"), **headers)
        assert response.status_code == 401, headers
    unsigned = IssuedCredentials(creds.system, creds.token)
    assert call(client, unsigned, "POST", EVENTS, event(event_id="EV-9")).status_code == 401
    assert Case.objects.count() == 1


def test_openapi_describes_the_grid_api(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/grid/v1/events" in schema["paths"]
    assert "/api/grid/v1/tasks/{id}/result" in schema["paths"]
    assert "GridEventInput" in schema["components"]["schemas"]
