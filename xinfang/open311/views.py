"""GeoReport v2 endpoints under /open311/v2/ (PEERS.md §3).

Plain Django views rather than DRF: the standard fixes the format (by file extension), the
error body and the form encoding, so DRF's negotiation and error handler would only be worked
around. The views translate between the wire and the open311 services/selectors.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from xinfang.core.errors import Msg
from xinfang.open311 import errors as e
from xinfang.open311 import selectors as s
from xinfang.open311.services import (
    Delivery,
    Submitted,
    api_key_authenticate,
    open311_request_submit,
)
from xinfang.open311.wire import CONTENT_TYPES, check_format, parse_w3c, respond, respond_error, w3c
from xinfang.orgs.models import Region

logger = logging.getLogger(__name__)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When the service list or definitions last changed shape (the catalogue's content is data).
CHANGESET = "2026-11-28T00:00:00+08:00"
DEFAULT_CONTACT = Msg(
    "如需帮助，请联系本省信访局信息中心。",
    "For help, contact the information centre of the provincial petition bureau.",
)
DEFAULT_KEY_SERVICE = Msg(
    "接口密钥由信访局信息中心签发，请以单位名义书面申请。",
    "API keys are issued by the petition bureau's information centre on a written request "
    "from the client's organisation.",
)
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")

View = Callable[..., HttpResponse]


def georeport(view: View) -> View:
    """Check the format, and answer refusals in the standard's error format."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
        try:
            check_format(fmt)
            return view(request, *args, fmt=fmt, **kwargs)
        except e.Open311Error as exc:
            return respond_error(fmt, exc)
        except OperationalError as exc:
            # Nothing was written (the transaction rolled back): the client may resend.
            logger.warning("open311: database unavailable: %s", exc)
            response = respond_error(fmt, e.Open311Error.one(503, e.BUSY))
            response["Retry-After"] = "5"
            return response

    return wrapper


def _jurisdiction(request: HttpRequest) -> Region | None:
    raw = request.POST.get("jurisdiction_id") or request.GET.get("jurisdiction_id", "")
    return s.jurisdiction_resolve(value=raw)


@require_GET
@georeport
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt}))
    body = {
        "changeset": CHANGESET,
        "contact": settings.XINFANG_OPEN311_CONTACT or DEFAULT_CONTACT.localized(),
        "key_service": settings.XINFANG_OPEN311_KEY_SERVICE or DEFAULT_KEY_SERVICE.localized(),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base.rsplit("/", 1)[0],
                "changeset": CHANGESET,
                "type": "test" if settings.DEBUG else "production",
                "formats": [
                    CONTENT_TYPES["xml"].split(";")[0],
                    CONTENT_TYPES["json"].split(";")[0],
                ],
            }
        ],
    }
    return respond(fmt, "discovery", body)


@require_GET
@georeport
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    _jurisdiction(request)
    body = [
        {
            "service_code": service.code,
            "service_name": service.name,
            "description": service.description,
            "metadata": True,
            "type": "realtime",
            "keywords": service.keywords,
            "group": service.group,
        }
        for service in s.service_list()
    ]
    return respond(fmt, "services", body)


def _attribute(attr: s.Attribute) -> dict[str, Any]:
    item: dict[str, Any] = {
        "variable": attr.variable,
        "code": attr.code,
        "datatype": attr.datatype,
        "required": attr.required,
        "datatype_description": (
            attr.datatype_description.localized() if attr.datatype_description else None
        ),
        "order": attr.order,
        "description": attr.description.localized(),
    }
    if attr.values:
        item["values"] = [{"key": key, "name": name.localized()} for key, name in attr.values]
    return item


@require_GET
@georeport
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    _jurisdiction(request)
    if s.service_get(code=code) is None:
        raise e.Open311Error.one(404, e.SERVICE_CODE_UNKNOWN, "service_code")
    body = {"service_code": code, "attributes": [_attribute(a) for a in s.service_attributes()]}
    return respond(fmt, "service_definition", body)


@csrf_exempt  # a server-to-server API authenticated by api_key, not a browser form
@require_http_methods(["GET", "POST"])
@georeport
def service_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    within = _jurisdiction(request)
    query = s.RequestQuery(
        ids=_list(request.GET, "service_request_id"),
        codes=_list(request.GET, "service_code"),
        statuses=_statuses(request.GET),
        start=_date(request.GET, "start_date"),
        end=_date(request.GET, "end_date"),
        within=within,
    )
    views = s.request_list(query=query, now=timezone.now())
    return respond(fmt, "service_requests", [_request_item(v) for v in views])


@require_GET
@georeport
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    view = s.request_get(request_id=request_id, within=_jurisdiction(request))
    if view is None:
        raise e.Open311Error.one(404, e.REQUEST_UNKNOWN, "service_request_id")
    return respond(fmt, "service_requests", [_request_item(view)])


@require_GET
@georeport
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    _jurisdiction(request)
    item_number = s.token_resolve(token=token)
    if item_number is None:
        raise e.Open311Error.one(404, e.TOKEN_UNKNOWN, "token")
    body = [{"service_request_id": item_number, "token": token}]
    return respond(fmt, "service_requests", body)


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    # The standard sends api_key in the POST body only; a key in the query string would end
    # up in access logs and proxies' histories, so it is not read from there.
    api_key = api_key_authenticate(raw=request.POST.get("api_key", "").strip())
    jurisdiction = _jurisdiction(request)
    delivery = delivery_parse(request.POST)
    done = open311_request_submit(
        api_key=api_key,
        delivery=delivery,
        jurisdiction=jurisdiction,
        client_key=request.headers.get("Idempotency-Key", ""),
    )
    return respond(fmt, "service_requests", [_created_item(done, delivery, api_key.returns_token)])


def _created_item(done: Submitted, delivery: Delivery, as_token: bool) -> dict[str, Any]:
    # The standard: a token or an id, never both.
    item: dict[str, Any] = (
        {"token": done.request.token} if as_token else {"service_request_id": done.case.item_number}
    )
    item["service_notice"] = s.receipt_notice(case=done.case, secret=done.secret).localized()
    if delivery.account_id:
        item["account_id"] = delivery.account_id
    return item


def delivery_parse(post: QueryDict) -> Delivery:
    """The form of POST requests as a Delivery; empty parameters count as absent."""
    names = [f.name for f in fields(Delivery) if f.name != "attributes"]
    text = {name: post.get(name, "").strip() for name in names}
    return Delivery(attributes=_attributes(post), **text)


def _attributes(post: QueryDict) -> dict[str, list[str]]:
    """attribute[code]=v, and attribute[code][]=v repeated for a multivaluelist."""
    found: dict[str, list[str]] = {}
    for name in post:
        match = _ATTRIBUTE.match(name)
        values = [v.strip() for v in post.getlist(name) if v.strip()]
        if match and values:
            found.setdefault(match.group(1), []).extend(values)
    return found


def _list(params: QueryDict, name: str) -> tuple[str, ...]:
    """A comma list, which the standard also allows to be given several times."""
    items = (part.strip() for raw in params.getlist(name) for part in raw.split(","))
    return tuple(dict.fromkeys(item for item in items if item))


def _statuses(params: QueryDict) -> tuple[str, ...]:
    statuses = _list(params, "status")
    if any(status not in (s.OPEN, s.CLOSED) for status in statuses):
        raise e.Open311Error.one(400, e.STATUS_INVALID, "status")
    return statuses


def _date(params: QueryDict, name: str) -> datetime | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    value = parse_w3c(raw)
    if value is None:
        raise e.Open311Error.one(400, e.DATE_INVALID, name)
    return value


def _request_item(view: s.RequestView) -> dict[str, Any]:
    return {
        "service_request_id": view.service_request_id,
        "status": view.status,
        "status_notes": view.status_notes.localized() if view.status_notes else None,
        "service_name": view.service_name,
        "service_code": view.service_code,
        "description": view.description,
        "agency_responsible": view.agency_responsible,
        "service_notice": view.service_notice.localized() if view.service_notice else None,
        "requested_datetime": w3c(view.requested),
        "updated_datetime": w3c(view.updated),
        "expected_datetime": w3c(view.expected),
        "address": view.address,
        "address_id": None,
        "zipcode": None,
        "lat": view.lat,
        "long": view.long,
        "media_url": view.media_url,
    }
