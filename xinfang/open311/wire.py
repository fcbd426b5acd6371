"""GeoReport's wire formats: XML (required) and JSON (the Spark-convention mapping of the XML).

A response is built once as plain data — dicts, lists and scalars — and written in either
format: a list becomes an XML element with one child per item, named by `ITEM` (services →
service, attributes → attribute …), and a top-level JSON array. Empty values are empty XML
elements and JSON nulls, as in the standard's examples.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from django.http import HttpResponse
from django.utils import timezone

from xinfang.open311.errors import FORMAT_UNKNOWN, Open311Error, SpecError

XML, JSON = "xml", "json"
FORMATS = (XML, JSON)
CONTENT_TYPES = {XML: "text/xml; charset=utf-8", JSON: "application/json; charset=utf-8"}
ITEM = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# Characters XML 1.0 cannot carry at all, not even escaped. ElementTree writes them as they
# are, so one stray control character in a petition would make the whole list unparsable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error.one(404, FORMAT_UNKNOWN)
    return fmt


def w3c(value: datetime | None) -> str | None:
    """A W3C datetime with its offset, in the platform's time zone (Asia/Shanghai)."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def parse_w3c(raw: str) -> datetime | None:
    """A W3C datetime that states its time zone; None when it is not one."""
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(SubElement(element, key), child)
    elif isinstance(value, list):
        for item in value:
            _fill(SubElement(element, ITEM[element.tag]), item)
    else:
        element.text = _text(value)


def to_xml(root: str, body: Any) -> str:
    element = Element(root)
    _fill(element, body)
    return _DECLARATION + tostring(element, encoding="unicode", short_empty_elements=False)


def respond(fmt: str, root: str, body: Any, status: int = 200) -> HttpResponse:
    """`body` in `fmt`; `root` names the XML root element (JSON has none)."""
    content = json.dumps(body, ensure_ascii=False) if fmt == JSON else to_xml(root, body)
    return HttpResponse(content, status=status, content_type=CONTENT_TYPES[fmt])


def error_body(errors: list[SpecError]) -> list[dict[str, Any]]:
    return [{"code": err.code, "description": err.description()} for err in errors]


def respond_error(fmt: str, exc: Open311Error) -> HttpResponse:
    # An unknown format still gets an answer: in XML, the format the standard requires.
    fmt = fmt if fmt in FORMATS else XML
    return respond(fmt, "errors", error_body(exc.errors), status=exc.status)
