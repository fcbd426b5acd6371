"""GeoReport v2 through Django's full request stack: every JSON answer validated against the
shared schemas, every XML answer against the structure of the standard's examples."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from xinfang.audit.models import AuditAction, AuditEntry
from xinfang.cases.models import Case, Channel
from xinfang.cases.tests.factories import make_case
from xinfang.cases.workflow import Actor
from xinfang.catalog.models import Category
from xinfang.handling.services import case_withdraw
from xinfang.notify.models import ContactPoint
from xinfang.open311.models import ApiKey, Open311Request
from xinfang.open311.services import api_key_authenticate
from xinfang.open311.tests import spec
from xinfang.open311.tests.factories import (
    BASE,
    DESCRIPTION,
    FORM,
    PHONE,
    delivery,
    make_key,
    publish,
    service_code,
)
from xinfang.orgs.tests.factories import make_bureau, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau(db: Any) -> Any:
    return make_bureau("430100")  # Changsha's city bureau receives for the whole city


@pytest.fixture
def key(bureau: Any) -> str:
    return make_key().raw


def post(client: Client, data: dict[str, str], fmt: str = "json", **headers: str) -> Any:
    return client.post(f"{BASE}/requests.{fmt}", urlencode(data), content_type=FORM, **headers)


def get_json(
    client: Client, path: str, schema: Any = None, expect: int = 200, **params: Any
) -> Any:
    response = client.get(f"{BASE}/{path}", params)
    assert response.status_code == expect, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    spec.validate(body, schema if expect == 200 else spec.ERRORS)
    return body


def get_xml(client: Client, path: str, root: str, expect: int = 200, **params: Any) -> Any:
    response = client.get(f"{BASE}/{path}", params)
    assert response.status_code == expect, response.content
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    return spec.parse_xml(response.content, root)


# --- discovery, services, definitions ---------------------------------------------------------


def test_discovery_in_both_formats(client: Client) -> None:
    body = client.get(f"{BASE}/discovery.json").json()
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert endpoint["type"] == "production"
    assert spec.W3C.match(body["changeset"])
    root = get_xml(client, "discovery.xml", "discovery")
    found = spec.fields(root, ("changeset", "contact", "key_service"))
    assert found["contact"] == body["contact"]
    (endpoint_el,) = spec.children(root.find("endpoints"), "endpoint")
    formats = spec.children(endpoint_el.find("formats"), "format")
    assert [f.text for f in formats] == ["text/xml", "application/json"]


def test_services_are_the_catalogue_leaves(client: Client) -> None:
    body = get_json(client, "services.json", spec.SERVICES)
    leaves = Category.objects.filter(level=3, is_active=True)
    assert len(body) == leaves.count()
    leaf = leaves.select_related("parent__parent").first()
    item = next(s for s in body if s["service_code"] == leaf.code)
    assert item["service_name"] == leaf.name
    assert item["group"] == leaf.parent.parent.name
    assert item["description"].endswith(f" / {leaf.name}")
    assert item["metadata"] is True
    assert item["type"] == "realtime"
    root = get_xml(client, "services.xml", "services")
    services = spec.children(root, "service")
    assert len(services) == len(body)
    first = spec.fields(services[0], spec.SERVICE_FIELDS)
    assert first["metadata"] == "true"
    assert first["service_code"] == body[0]["service_code"]


def test_service_definition(client: Client) -> None:
    code = service_code()
    body = get_json(client, f"services/{code}.json", spec.DEFINITION)
    assert body["service_code"] == code
    attrs = {a["code"]: a for a in body["attributes"]}
    assert {"region", "petition_type", "anonymous", "consent_publish", "title"} <= set(attrs)
    assert attrs["privacy_notice"]["variable"] is False
    assert len({a["order"] for a in body["attributes"]}) == len(body["attributes"])
    assert {"key": "430102", "name": "湖南省长沙市芙蓉区"} in attrs["region"]["values"]
    assert {v["key"] for v in attrs["petition_type"]["values"]} >= {"appeal", "suggestion"}
    root = get_xml(client, f"services/{code}.xml", "service_definition")
    assert root.findtext("service_code") == code
    attributes = spec.children(root.find("attributes"), "attribute")
    region_el = next(a for a in attributes if a.findtext("code") == "region")
    spec.fields(region_el, spec.ATTRIBUTE_FIELDS)
    assert region_el.findtext("datatype") == "singlevaluelist"
    values = spec.children(region_el.find("values"), "value")
    assert any(v.findtext("key") == "430102" for v in values)


def test_unknown_service_and_format_are_404_in_error_format(client: Client) -> None:
    body = get_json(client, "services/000000.json", expect=404)
    assert body[0]["code"] == 404
    assert "service_code" in body[0]["description"]
    response = client.get(f"{BASE}/services/000000.xml")
    assert response.status_code == 404
    assert spec.xml_errors(response.content)[0]["code"] == "404"
    response = client.get(f"{BASE}/services.yaml")
    assert response.status_code == 404
    spec.xml_errors(response.content)


def test_jurisdiction(client: Client, settings: Any) -> None:
    settings.XINFANG_OPEN311_JURISDICTION = "hunan.gov.cn"
    get_json(client, "services.json", spec.SERVICES, jurisdiction_id="hunan.gov.cn")
    get_json(client, "services.json", spec.SERVICES, jurisdiction_id="430100")
    body = get_json(client, "services.json", expect=404, jurisdiction_id="sfgov.org")
    assert "jurisdiction_id" in body[0]["description"]
    get_json(client, "requests.json", expect=404, jurisdiction_id="110000")  # not this province


# --- POST requests ----------------------------------------------------------------------------


def test_post_creates_a_petition_on_the_open311_channel(client: Client, key: str) -> None:
    response = post(client, delivery(key))
    assert response.status_code == 200
    body = response.json()
    spec.validate(body, spec.POST_RESPONSE)
    (item,) = body
    case = Case.objects.get()
    assert item["service_request_id"] == case.item_number
    assert "token" not in item
    assert item["account_id"] == "account-1"
    assert case.item_number in item["service_notice"]
    assert case.query_code in item["service_notice"]
    assert case.channel == Channel.OPEN311
    assert case.region.code == "430102"  # 芙蓉区, from address_string
    assert case.category.code == service_code()
    assert case.content == DESCRIPTION
    assert case.title == DESCRIPTION  # its first line, short enough
    assert case.consent_publish is True
    person = case.petitioners.get()
    assert (person.name, person.phone) == ("李明", PHONE)
    media = dict(ContactPoint.objects.filter(case=case).values_list("medium", "address"))
    assert media == {"email": "liming@example.com", "sms": PHONE}
    row = Open311Request.objects.get(case=case)
    assert (row.lat, row.long, row.media_url) == (
        28.19563,
        112.98227,
        "https://media.example.com/1.jpg",
    )
    assert row.address_string == "五一大道 1 号，芙蓉区，长沙市"


def test_post_answers_in_xml(client: Client, key: str) -> None:
    response = post(client, delivery(key, account_id=""), fmt="xml")
    assert response.status_code == 200
    root = spec.parse_xml(response.content, "service_requests")
    (request_el,) = spec.children(root, "request")
    found = spec.fields(request_el, ("service_request_id", "service_notice"))
    assert found["service_request_id"] == Case.objects.get().item_number
    assert request_el.find("token") is None


def test_same_delivery_twice_is_one_petition(client: Client, key: str) -> None:
    first = post(client, delivery(key)).json()
    second = post(client, delivery(key)).json()
    assert first[0]["service_request_id"] == second[0]["service_request_id"]
    assert Case.objects.filter(channel=Channel.OPEN311).count() == 1
    assert Open311Request.objects.count() == 1
    # Another report from the same account is another petition.
    post(client, delivery(key, description=DESCRIPTION + "另外路灯也坏了。"))
    assert Case.objects.count() == 2


def test_replay_window_ends(client: Client, key: str) -> None:
    post(client, delivery(key))
    with time_machine.travel(timezone.now() + timedelta(hours=23)):
        post(client, delivery(key))
        assert Case.objects.count() == 1
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        post(client, delivery(key))
    assert Case.objects.count() == 2  # the same text a day later is a new (repeat) petition


def test_idempotency_key_header(client: Client, key: str) -> None:
    first = post(client, delivery(key), HTTP_IDEMPOTENCY_KEY="abc-1").json()
    again = post(client, delivery(key), HTTP_IDEMPOTENCY_KEY="abc-1").json()
    assert first[0]["service_request_id"] == again[0]["service_request_id"]
    assert Case.objects.count() == 1
    changed = post(
        client, delivery(key, description=DESCRIPTION + "补充。"), HTTP_IDEMPOTENCY_KEY="abc-1"
    )
    assert changed.status_code == 400
    assert changed.json()[0]["code"] == 409
    assert Case.objects.count() == 1
    api_key = ApiKey.objects.get()
    assert Case.objects.get().idempotency_key == f"open311:{api_key.pk}:k:abc-1"


def test_api_key_only_from_the_post_body(client: Client, key: str) -> None:
    form = delivery(key)
    del form["api_key"]
    response = client.post(
        f"{BASE}/requests.json?{urlencode({'api_key': key})}", urlencode(form), content_type=FORM
    )
    assert response.status_code == 403
    assert response.json()[0]["description"].startswith("api_key:")
    assert not Case.objects.exists()


@pytest.mark.parametrize("raw", ["", "not-a-key"])
def test_bad_api_key_is_403(client: Client, key: str, raw: str) -> None:
    response = post(client, delivery(raw))
    assert response.status_code == 403
    body = response.json()
    spec.validate(body, spec.ERRORS)
    assert body[0]["code"] == 403
    assert body[0]["description"].startswith("api_key:")
    response = post(client, delivery(raw), fmt="xml")
    assert response.status_code == 403
    assert spec.xml_errors(response.content)[0]["code"] == "403"
    assert not Case.objects.exists()


def test_deactivated_key_is_403(client: Client, key: str) -> None:
    ApiKey.objects.update(is_active=False)
    assert post(client, delivery(key)).status_code == 403


def test_missing_and_unknown_service_code(client: Client, key: str) -> None:
    response = post(client, delivery(key, service_code=None))
    assert response.status_code == 400
    spec.validate(response.json(), spec.ERRORS)
    assert response.json()[0]["description"].startswith("service_code:")
    response = post(client, delivery(key, service_code=""), fmt="xml")
    assert response.status_code == 400
    assert spec.xml_errors(response.content)[0]["description"].startswith("service_code:")
    assert post(client, delivery(key, service_code="000000")).status_code == 404
    assert not Case.objects.exists()


def test_field_errors_name_the_parameters(client: Client, key: str) -> None:
    bad = delivery(
        key,
        phone=None,  # a name without a phone: a named petition needs both
        email="not-an-address",
        description="太短",
        media_url="ftp://x.example.com/a.jpg",
        lat="200",
    )
    response = post(client, bad)
    assert response.status_code == 400
    body = response.json()
    spec.validate(body, spec.ERRORS)
    params = {item["description"].split(":")[0] for item in body}
    assert {"email", "media_url", "lat"} <= params
    response = post(client, delivery(key, phone=None, **{"attribute[colour]": "red"}))
    params = {item["description"].split(":")[0] for item in response.json()}
    assert params == {"attribute[colour]"}
    # A multivaluelist's encoding, for an attribute that takes one value.
    body = urlencode({**delivery(key), "attribute[region][]": ["430102", "430103"]}, doseq=True)
    response = client.post(f"{BASE}/requests.json", body, content_type=FORM)
    assert response.json()[0]["description"].startswith("attribute[region]:")
    response = post(client, delivery(key, phone=None, description="太短了"))
    params = {item["description"].split(":")[0] for item in response.json()}
    assert params == {"phone", "description"}
    assert not Case.objects.exists()


def test_errors_in_english_on_request(client: Client, key: str) -> None:
    response = post(client, delivery(""), HTTP_ACCEPT_LANGUAGE="en")
    assert (
        response.json()[0]["description"]
        == "api_key: api_key is missing -- can't create a request."
    )


def test_place_rules(client: Client, key: str) -> None:
    # Coordinates alone cannot be placed offline.
    body = post(client, delivery(key, address_string=None)).json()
    assert body[0]["description"].startswith("address_string:")
    # attribute[region] wins over the address.
    post(client, delivery(key, **{"attribute[region]": "430104"}))
    assert Case.objects.get().region.code == "430104"
    body = post(client, delivery(key, **{"attribute[region]": "999999"})).json()
    assert body[0]["description"].startswith("attribute[region]:")
    # A region jurisdiction places a request whose address names no place.
    post(
        client,
        delivery(
            key,
            address_string="门口那条路",
            jurisdiction_id="430105",
            description=DESCRIPTION + "2",
        ),
    )
    assert Case.objects.order_by("-id").first().region.code == "430105"


def test_an_ambiguous_address_is_not_a_place(client: Client, key: str) -> None:
    # 高桥 is a street of 雨花区 and a town of 长沙县: the gazetteer can only say "长沙市",
    # which would send the petition to the city's bureau as if it were sure.
    body = post(client, delivery(key, address_string="高桥")).json()
    assert body[0]["description"].startswith("address_string:")
    assert not Case.objects.exists()
    # The next rule decides: the jurisdiction the client names.
    post(client, delivery(key, address_string="高桥", jurisdiction_id="430111"))
    assert Case.objects.get().region.code == "430111"


def test_key_limited_to_a_region(client: Client, bureau: Any) -> None:
    limited = make_key(region=region("430102")).raw
    response = post(client, delivery(limited, **{"attribute[region]": "430104"}))
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("attribute[region]:")
    assert post(client, delivery(limited)).status_code == 200


def test_anonymous_without_identity(client: Client, key: str) -> None:
    body = post(client, delivery(key, first_name=None, last_name=None, phone=None)).json()
    case = Case.objects.get()
    assert case.is_anonymous
    assert not case.petitioners.exists()
    assert "查询密码" in body[0]["service_notice"]
    assert list(ContactPoint.objects.values_list("medium", flat=True)) == ["email"]


def test_token_mode(client: Client, bureau: Any) -> None:
    batch = make_key(returns_token=True).raw
    body = post(client, delivery(batch)).json()
    spec.validate(body, spec.POST_RESPONSE)
    assert "service_request_id" not in body[0]
    token = body[0]["token"]
    resolved = get_json(client, f"tokens/{token}.json", spec.TOKEN_RESPONSE)
    assert resolved == [{"service_request_id": Case.objects.get().item_number, "token": token}]
    root = get_xml(client, f"tokens/{token}.xml", "service_requests")
    (request_el,) = spec.children(root, "request")
    assert spec.fields(request_el, ("service_request_id", "token"))["token"] == token
    get_json(client, "tokens/no-such-token.json", expect=404)


# --- GET requests -----------------------------------------------------------------------------


def test_get_shows_public_items_only(client: Client, key: str) -> None:
    ours = post(client, delivery(key)).json()[0]["service_request_id"]
    published = make_case(region_code="430103")  # web/API petition, then approved on the board
    publish(published, content="某路段路面塌陷，请修复。（已脱敏）", reply="已安排维修。")
    hidden = make_case(region_code="430103", consent_publish=False)
    accusation = post(
        client,
        delivery(
            key, description=DESCRIPTION + "举报", **{"attribute[petition_type]": "accusation"}
        ),
    ).json()[0]["service_request_id"]

    body = get_json(client, "requests.json", spec.REQUESTS)
    by_id = {item["service_request_id"]: item for item in body}
    assert set(by_id) == {ours, published.item_number}
    assert hidden.item_number not in by_id
    assert accusation not in by_id
    mine = by_id[ours]
    # Consented but not yet approved on the board: no text, no place.
    assert [mine[f] for f in ("description", "address", "lat", "media_url")] == [None] * 4
    assert mine["status"] == "open"
    assert mine["service_code"] == service_code()
    assert mine["agency_responsible"] == "长沙市信访局"
    assert mine["expected_datetime"]
    board = by_id[published.item_number]
    assert board["description"] == "路面塌陷\n\n某路段路面塌陷，请修复。（已脱敏）"
    assert board["status_notes"] == "已安排维修。"
    assert board["address"] == "湖南省长沙市天心区"
    for item in body:
        spec.check_datetimes(item, "requested_datetime", "updated_datetime", "expected_datetime")
    text = str(body)
    for secret in (PHONE, "李明", "liming@example.com", "account-1", "device-1"):
        assert secret not in text
    get_json(client, f"requests/{accusation}.json", expect=404)
    get_json(client, f"requests/{hidden.item_number}.json", expect=404)


def test_published_open311_item_shows_place_and_media(client: Client, key: str) -> None:
    item_number = post(client, delivery(key)).json()[0]["service_request_id"]
    publish(Case.objects.get(), content="人行道路面塌陷。")
    (item,) = get_json(client, f"requests/{item_number}.json", spec.REQUESTS)
    assert (item["lat"], item["long"]) == (28.196, 112.982)  # about 100 m
    assert item["media_url"] == "https://media.example.com/1.jpg"
    assert item["address"] == "湖南省长沙市芙蓉区"
    root = get_xml(client, f"requests/{item_number}.xml", "service_requests")
    (request_el,) = spec.children(root, "request")
    found = spec.fields(request_el, spec.REQUEST_FIELDS)
    assert (found["lat"], found["status"]) == ("28.196", "open")
    assert found["zipcode"] == ""  # empty element, as in the standard's example


def test_control_characters_do_not_break_the_xml(client: Client, key: str) -> None:
    case = make_case(region_code="430103")
    publish(case, title="路面\x0b塌陷\x1f", content="人行道\x08路面塌陷。", reply="已\x0c修复。")
    root = get_xml(client, "requests.xml", "service_requests")  # parses
    (request_el,) = spec.children(root, "request")
    found = spec.fields(request_el, spec.REQUEST_FIELDS)
    assert found["description"] == "路面塌陷\n\n人行道路面塌陷。"
    assert found["status_notes"] == "已修复。"


def test_titles_follow_intakes_rule(client: Client, key: str) -> None:
    text = "塌陷\n五一大道人行道路面塌陷，存在安全隐患。"
    post(client, delivery(key, description=text))  # a first line too short for a title
    category = Category.objects.get(code=service_code())
    assert Case.objects.get().title == f"{category.name}：塌陷"
    post(client, delivery(key, description=text, **{"attribute[title]": "路面"}))
    assert Case.objects.order_by("-pk").first().title == "路面：塌陷"


def test_schemas_missing_skips_rather_than_passes(monkeypatch: Any, tmp_path: Any) -> None:
    monkeypatch.setattr(spec, "SCHEMA_DIR", tmp_path)
    with pytest.raises(pytest.skip.Exception):
        spec.validate([], spec.ERRORS)


def test_get_filters(client: Client, key: str) -> None:
    first = post(client, delivery(key)).json()[0]["service_request_id"]
    other_code = service_code("环境保护")
    second = post(client, delivery(key, service_code=other_code)).json()[0]["service_request_id"]
    case_withdraw(
        case=Case.objects.get(item_number=first), actor=None, by=Actor.PETITIONER, reason="已解决"
    )

    def ids(**params: Any) -> set[str]:
        return {
            i["service_request_id"]
            for i in get_json(client, "requests.json", spec.REQUESTS, **params)
        }

    assert ids(status="closed") == {first}
    assert ids(status="open") == {second}
    assert ids(status="open,closed") == {first, second}
    assert ids(service_code=other_code) == {second}
    closed = get_json(client, f"requests/{first}.json", spec.REQUESTS)[0]
    assert (closed["status"], closed["expected_datetime"]) == ("closed", None)
    assert closed["status_notes"].startswith("已办结")
    assert closed["service_notice"] is None
    now = timezone.now()
    old = (now - timedelta(days=200)).strftime("%Y-%m-%dT%H:%M:%SZ")
    older = (now - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(start_date=old, end_date=older) == set()
    assert ids(start_date=old) == set()  # 90 days from the start
    # A list of ids overrides every other argument.
    assert ids(service_request_id=f"{first},{second}", start_date=old, end_date=older) == {
        first,
        second,
    }
    assert ids(jurisdiction_id="430102") == {first, second}
    assert ids(jurisdiction_id="430104") == set()
    span = get_json(
        client,
        "requests.json",
        expect=400,
        start_date=old,
        end_date=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    assert span[0]["description"].startswith("start_date:")
    assert get_json(client, "requests.json", expect=400, start_date="2026-01-01")[0]["code"] == 400
    assert get_json(client, "requests.json", expect=400, status="pending")[0]["code"] == 400
    response = client.get(f"{BASE}/requests.xml", {"status": "open"})
    root = spec.parse_xml(response.content, "service_requests")
    assert [r.findtext("service_request_id") for r in spec.children(root, "request")] == [second]


def test_list_queries_do_not_grow_with_rows(
    client: Client, key: str, django_assert_num_queries: Any
) -> None:
    for n in range(3):
        post(client, delivery(key, description=f"{DESCRIPTION}第{n}处。"))
    publish(Case.objects.first(), content="人行道路面塌陷。")
    # The cases, their board copies and their deliveries: three queries for any page.
    with django_assert_num_queries(3):
        body = client.get(f"{BASE}/requests.json").json()
    assert len(body) == 3


def test_empty_list_in_both_formats(client: Client, bureau: Any) -> None:
    assert get_json(client, "requests.json", spec.REQUESTS) == []
    root = get_xml(client, "requests.xml", "service_requests")
    assert list(root) == []


# --- issuing keys -----------------------------------------------------------------------------


def test_key_command_prints_a_working_key(bureau: Any) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("open311_key", owner="长沙市12345", region="430100", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    key = api_key_authenticate(raw=raw)
    assert (key.owner, key.region.code) == ("长沙市12345", "430100")
    assert raw not in str(ApiKey.objects.values_list())  # only the digest is stored
    with pytest.raises(CommandError) as failed:
        call_command("open311_key", owner="x", region="999999", stdout=out, stderr=err)
    assert failed.value.returncode == 2


def test_admin_issues_a_key_once(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/open311/apikey/add/",
        {"owner": "某市民服务平台", "contact": "", "is_active": "on"},
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    raw = messages[0].rsplit("：", 1)[1]
    assert api_key_authenticate(raw=raw).owner == "某市民服务平台"


def test_admin_issue_and_revoke_are_audited_and_a_revoked_key_stays_off(
    admin_client: Client,
) -> None:
    admin_client.post(
        "/admin/open311/apikey/add/", {"owner": "某区网格平台", "is_active": "on"}, follow=True
    )
    key = ApiKey.objects.get(owner="某区网格平台")
    change = f"/admin/open311/apikey/{key.pk}/change/"
    # Unticking the box on the change form does nothing: it is read-only there.
    assert admin_client.post(change, {"owner": key.owner, "contact": ""}).status_code == 302
    key.refresh_from_db()
    assert key.is_active
    response = admin_client.post(
        "/admin/open311/apikey/", {"action": "revoke", "_selected_action": [key.pk]}
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert not key.is_active
    entries = AuditEntry.objects.filter(object_type="open311.apikey", object_id=str(key.pk))
    actions = list(entries.order_by("seq").values_list("action", "actor__is_superuser"))
    assert actions == [
        (AuditAction.CREDENTIAL_ISSUE, True),
        (AuditAction.CREDENTIAL_REVOKE, True),
    ]
    # Revoking again changes nothing and records nothing.
    admin_client.post("/admin/open311/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert entries.count() == 2
