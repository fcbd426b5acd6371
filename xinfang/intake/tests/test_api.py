"""POST /api/v1/petitions through Django's full request stack."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from xinfang.cases.models import Attachment, Case, CaseEvent, Petitioner
from xinfang.cases.tests.factories import VALID_ID, petition_payload
from xinfang.orgs.tests.factories import make_bureau

URL = "/api/v1/petitions"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
def bureau(db: Any) -> Any:
    return make_bureau("430100")  # the city bureau receives for all of Changsha


def post(client: Client, body: Any, key: str | None = None, raw: str | None = None) -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False)
    return client.post(URL, data=data, content_type="application/json", **headers)


def counts() -> tuple[int, ...]:
    return (
        Case.objects.count(),
        Petitioner.objects.count(),
        CaseEvent.objects.count(),
        Attachment.objects.count(),
        DBTaskResult.objects.count(),
    )


def test_created_with_item_number_and_query_code(client: Client, bureau: Any) -> None:
    response = post(client, petition_payload())
    assert response.status_code == 201
    body = response.json()
    case = Case.objects.get(query_code=body["query_code"])
    assert body["item_number"] == case.item_number
    assert case.item_number.startswith(f"{bureau.code}-")
    assert case.register_org == bureau
    assert case.channel == "api"
    assert case.status == "received"
    assert "tracking_secret" not in body


def test_same_idempotency_key_returns_same_petition(client: Client, bureau: Any) -> None:
    first = post(client, petition_payload(), key="k-123")
    second = post(client, petition_payload(), key="k-123")
    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json()["item_number"] == second.json()["item_number"]
    assert Case.objects.count() == 1
    assert Petitioner.objects.count() == 1


def test_same_key_with_different_body_is_a_conflict(client: Client, bureau: Any) -> None:
    post(client, petition_payload(), key="k-9")
    before = counts()
    response = post(client, petition_payload(title="另一件不同的事情"), key="k-9")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_conflict"
    assert counts() == before


def test_different_keys_make_different_petitions(client: Client, bureau: Any) -> None:
    a = post(client, petition_payload(), key="a").json()
    b = post(client, petition_payload(), key="b").json()
    assert a["item_number"] != b["item_number"]
    assert a["query_code"] != b["query_code"]


def test_anonymous_petition_gets_a_tracking_secret(client: Client, bureau: Any) -> None:
    body = petition_payload(anonymous=True)
    del body["petitioner"]
    response = post(client, body)
    assert response.status_code == 201
    assert len(response.json()["tracking_secret"]) == 8
    case = Case.objects.get()
    assert case.is_anonymous
    assert case.petitioners.count() == 0


def test_attachment_is_stored_with_type_from_content(client: Client, bureau: Any) -> None:
    files = [{"filename": "photo.jpg", "content_base64": base64.b64encode(PNG).decode()}]
    response = post(client, petition_payload(attachments=files))
    assert response.status_code == 201
    att = Attachment.objects.get()
    assert att.content_type == "image/png"  # sniffed from the bytes, not the name
    assert att.size == len(PNG)
    assert att.file.read() == PNG


BAD_INPUTS: list[tuple[str, dict[str, Any], str]] = [
    ("missing title", {"title": None}, "title"),
    ("title too long", {"title": "长" * 101}, "title"),
    ("content too short", {"content": "太短"}, "content"),
    ("content too long", {"content": "很" * 5001}, "content"),
    ("unknown type", {"petition_type": "nonsense"}, "petition_type"),
    ("unknown region", {"region_code": "439999"}, "region_code"),
    ("region of another province", {"region_code": "110101"}, "region_code"),
    ("unknown category", {"category_code": "770707"}, "category_code"),
    ("invalid phone", {"petitioner": {"name": "李明", "phone": "12345"}}, "petitioner.phone"),
    ("missing phone", {"petitioner": {"name": "李明"}}, "petitioner.phone"),
    ("missing name", {"petitioner": {"phone": "13907311234"}}, "petitioner.name"),
    (
        "bad ID check digit",
        {"petitioner": {"name": "李明", "phone": "13907311234", "id_number": VALID_ID[:-1] + "5"}},
        "petitioner.id_number",
    ),
    (
        "bad ID birth date",
        {"petitioner": {"name": "李明", "phone": "13907311234", "id_number": "430102199013401234"}},
        "petitioner.id_number",
    ),
    ("unknown field", {"urgent": True}, "urgent"),
    ("wrong type", {"anonymous": "perhaps"}, "anonymous"),
    (
        "forbidden file type",
        {
            "attachments": [
                {
                    "filename": "a.pdf",
                    "content_base64": base64.b64encode(
                        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
                    ).decode(),
                }
            ]
        },
        "attachments",
    ),
    (
        "attachment not base64",
        {"attachments": [{"filename": "a.png", "content_base64": "***"}]},
        "attachments",
    ),
]


@pytest.mark.parametrize(
    ("case_name", "override", "field"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_is_refused_field_by_field_and_nothing_written(
    client: Client, bureau: Any, case_name: str, override: dict[str, Any], field: str
) -> None:
    body = petition_payload()
    for key, value in override.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    before = counts()
    response = post(client, body, key="bad-" + case_name.replace(" ", "-"))
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors, errors
    assert errors[field][0]["zh"]
    assert errors[field][0]["en"]
    assert errors[field][0]["zh"] != errors[field][0]["en"]
    assert counts() == before
    # A refused request does not burn its idempotency key: fixing the input then works.
    assert (
        post(client, petition_payload(), key="bad-" + case_name.replace(" ", "-")).status_code
        == 201
    )


def test_every_error_is_reported_at_once(client: Client, bureau: Any) -> None:
    body = {
        "title": "x",
        "content": "",
        "petition_type": "?",
        "region_code": "0",
        "zz": 1,
        "petitioner": {"phone": "12"},
    }
    errors = post(client, body).json()["errors"]
    assert {
        "title",
        "content",
        "petition_type",
        "region_code",
        "zz",
        "petitioner.name",
        "petitioner.phone",
    } <= set(errors)
    # A malformed phone is reported as malformed, not as missing.
    assert errors["petitioner.phone"][0]["en"].startswith("Enter a valid mobile")


def test_missing_choices_ask_to_choose(client: Client, bureau: Any) -> None:
    errors = post(client, {"title": "标题四个字", "content": "内容至少十个字内容至少十个字"}).json()
    assert errors["errors"]["petition_type"][0] == {
        "zh": "请选择信访类型。",
        "en": "Choose the petition type.",
    }
    assert errors["errors"]["region_code"][0]["zh"] == "请选择问题属地。"


def test_anonymous_needs_no_identity(client: Client, bureau: Any) -> None:
    body = petition_payload(anonymous=True)
    body.pop("petitioner")
    assert post(client, body).status_code == 201


@pytest.mark.parametrize("raw", ["{bad json", "[1, 2]", '"text"', ""])
def test_malformed_body_is_400_and_nothing_written(client: Client, bureau: Any, raw: str) -> None:
    before = counts()
    response = post(client, None, raw=raw)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"]["zh"]
    assert body["detail"]["en"]
    assert counts() == before


def test_non_json_content_type_is_refused(client: Client, bureau: Any) -> None:
    response = client.post(URL, data={"title": "x"})
    assert response.status_code == 415
    assert response.json()["detail"]["en"].startswith("Unsupported")


@pytest.mark.parametrize("key", ["", "x" * 129, "含中文"])
def test_malformed_idempotency_key_is_refused(client: Client, bureau: Any, key: str) -> None:
    response = client.post(
        URL,
        data=json.dumps(petition_payload()),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert Case.objects.count() == 0


def test_no_receiving_bureau_is_a_clear_error(client: Client, db: Any) -> None:
    response = post(client, petition_payload())
    assert response.status_code == 400
    assert response.json()["code"] == "no_receiver"
    assert Case.objects.count() == 0


def test_schema_documents_the_endpoint(client: Client, db: Any) -> None:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert "/api/v1/petitions" in schema["paths"]
    assert "/api/v1/track/{query_code}" in schema["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200


def test_oversized_attachment_is_refused(client: Client, bureau: Any, settings: Any) -> None:
    settings.XINFANG_ATTACHMENT_MAX_BYTES = 1024 * 1024
    big = PNG + b"\x00" * (1024 * 1024)
    files = [{"filename": "big.png", "content_base64": base64.b64encode(big).decode()}]
    before = counts()
    response = post(client, petition_payload(attachments=files))
    assert response.status_code == 400
    assert "1 MB" in response.json()["errors"]["attachments"][0]["en"]
    assert counts() == before


def test_too_many_attachments_are_refused(client: Client, bureau: Any, settings: Any) -> None:
    settings.XINFANG_ATTACHMENT_MAX_COUNT = 2
    one = {"filename": "a.png", "content_base64": base64.b64encode(PNG).decode()}
    response = post(client, petition_payload(attachments=[one, one, one]))
    assert response.status_code == 400
    assert response.json()["errors"]["attachments"][0]["en"] == "At most 2 attachments."
