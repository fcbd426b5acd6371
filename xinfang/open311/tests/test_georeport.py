"""A real third-party client against a real server: the `georeport` package (PyPI) over HTTP to
pytest-django's live server, in JSON and in XML.

georeport 0.3.1 reads services, definitions and requests; it has no discovery, POST or token
call, so those go through `requests`, the HTTP library georeport itself uses. The live server
answers from another thread, so these tests are `transaction=True`; the fixtures of
xinfang/core/tests/browser.py put back the reference data that flushing removes.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import xmltodict
from georeport import GeoReport

from xinfang.cases.models import Case, Channel
from xinfang.core.tests.browser import (  # the fixtures are used by name
    reference_data,  # noqa: F401
    restore_reference_data,  # noqa: F401
)
from xinfang.open311.tests import spec
from xinfang.open311.tests.factories import delivery, make_key
from xinfang.orgs.tests.factories import make_bureau

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 30
JURISDICTION = "430100"  # a division code selects the part of the province (Changsha)


@pytest.fixture
def base(live_server: Any, reference_data: Any) -> str:  # noqa: F811  # after the reference data
    make_bureau("430100")
    return f"{live_server.url}/open311/v2"


def _parse(fmt: str, response: requests.Response, root: str) -> Any:
    """The body as georeport reads it: JSON as is, XML through xmltodict."""
    if fmt == "json":
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        return response.json()
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    spec.parse_xml(response.content, root)
    return xmltodict.parse(response.content)[root]


def _discovery(base: str, fmt: str) -> None:
    body = _parse(fmt, requests.get(f"{base}/discovery.{fmt}", timeout=TIMEOUT), "discovery")
    endpoints = body["endpoints"] if fmt == "json" else [body["endpoints"]["endpoint"]]
    assert endpoints[0]["url"] == base
    formats = endpoints[0]["formats"] if fmt == "json" else endpoints[0]["formats"]["format"]
    assert formats == ["text/xml", "application/json"]


def _post(base: str, fmt: str, form: dict[str, str]) -> dict[str, Any]:
    response = requests.post(f"{base}/requests.{fmt}", data=form, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    body = _parse(fmt, response, "service_requests")
    if fmt == "json":
        spec.validate(body, spec.POST_RESPONSE)
        return dict(body[0])
    return dict(body["request"])


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_round_trip(base: str, fmt: str) -> None:
    _discovery(base, fmt)
    client = GeoReport(root_address=base, jurisdiction=JURISDICTION, output_format=fmt)

    services = client.get_service_list()
    if fmt == "json":
        spec.validate(services, spec.SERVICES)
    assert all(s["type"] == "realtime" for s in services)
    code = services[0]["service_code"]
    definition = client.get_service_definition(code)
    if fmt == "json":
        spec.validate(definition, spec.DEFINITION)
        attributes = definition["attributes"]
    else:
        attributes = definition["attributes"]["attribute"]
    assert definition["service_code"] == code
    assert {a["code"] for a in attributes} >= {"region", "petition_type", "anonymous"}

    form = delivery(make_key().raw, service_code=code, jurisdiction_id=JURISDICTION)
    first = _post(base, fmt, form)
    again = _post(base, fmt, form)  # the client resends the same delivery
    item_number = first["service_request_id"]
    assert again["service_request_id"] == item_number
    case = Case.objects.get()
    assert (case.item_number, case.channel) == (item_number, Channel.OPEN311)

    listed = client.get_service_requests(service_request_id=item_number)
    single = client.get_service_request(item_number)
    if fmt == "json":
        spec.validate(listed, spec.REQUESTS)
        spec.validate([single], spec.REQUESTS)
    else:
        listed = [listed]  # xmltodict: one <request> is a dict
    assert [r["service_request_id"] for r in listed] == [item_number]
    assert single["service_request_id"] == item_number
    assert (single["status"], single["service_code"]) == ("open", code)
    spec.check_datetimes(dict(single), "requested_datetime", "updated_datetime")
    recent = client.get_service_requests(status="open", service_code=code)
    if fmt == "xml":
        recent = [recent]  # xmltodict: one <request> is a dict
    assert [r["service_request_id"] for r in recent] == [item_number]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_token_flow(base: str, fmt: str) -> None:
    raw = make_key(returns_token=True).raw
    token = _post(base, fmt, delivery(raw))["token"]
    response = requests.get(f"{base}/tokens/{token}.{fmt}", timeout=TIMEOUT)
    body = _parse(fmt, response, "service_requests")
    if fmt == "json":
        spec.validate(body, spec.TOKEN_RESPONSE)
        body = {"request": body[0]}
    assert body["request"] == {"service_request_id": Case.objects.get().item_number, "token": token}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_over_http(base: str, fmt: str) -> None:
    raw = make_key().raw
    cases = [
        (delivery("wrong-key"), 403, "api_key"),
        (delivery(raw, service_code=None), 400, "service_code"),
    ]
    for form, status, param in cases:
        response = requests.post(f"{base}/requests.{fmt}", data=form, timeout=TIMEOUT)
        assert response.status_code == status
        if fmt == "json":
            errors = response.json()
            spec.validate(errors, spec.ERRORS)
        else:
            errors = spec.xml_errors(response.content)
        assert str(errors[0]["code"]) == str(status)
        assert errors[0]["description"].startswith(f"{param}:")
    assert not Case.objects.exists()
