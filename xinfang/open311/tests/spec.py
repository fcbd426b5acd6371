"""Checks of responses against the GeoReport v2 description: the community JSON Schemas and
swagger.json in ../shared/data/open311 (read from there, never copied), and for XML the element
structure the standard's examples show."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.conf import settings
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

# ../shared next to the checkout, else the machine's shared folder (a checkout elsewhere).
_SCHEMA_DIRS = (
    Path(settings.BASE_DIR).parent / "shared" / "data" / "open311",
    Path("/work/shared/data/open311"),
)
SCHEMA_DIR = next((d for d in _SCHEMA_DIRS if (d / "swagger.json").exists()), _SCHEMA_DIRS[0])
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$")
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'

SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type", "keywords")
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
ATTRIBUTE_FIELDS = ("variable", "code", "datatype", "required", "order", "description")

# Each JSON resource and the schema it must satisfy ($ref into the shared files).
SERVICES = "services.json"
DEFINITION = "service-definition.json"
REQUESTS = "requests.json"
POST_RESPONSE = {"type": "array", "items": {"$ref": "swagger.json#/definitions/RequestResponse"}}
TOKEN_RESPONSE = {"type": "array", "items": {"$ref": "swagger.json#/definitions/TokenResponse"}}
ERRORS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}


def require_schemas() -> None:
    # The schemas are shared data that may not be shipped (as the triage tests' data): without
    # them the test is skipped, visibly, rather than passing with the check left out.
    if not (SCHEMA_DIR / "swagger.json").exists():
        pytest.skip(f"needs the shared Open311 schemas in {SCHEMA_DIR}")


def _registry() -> Registry:
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text()), DRAFT7))
        for path in SCHEMA_DIR.glob("*.json")
    ]
    return Registry().with_resources(resources)


def validate(body: Any, schema: str | dict[str, Any]) -> None:
    """Validate against a shared schema file (by name) or a schema referring into them;
    all references resolve locally, never over the network."""
    require_schemas()
    root = {"$ref": schema} if isinstance(schema, str) else schema
    validator = Draft7Validator(
        root, registry=_registry(), format_checker=Draft7Validator.FORMAT_CHECKER
    )
    validator.validate(body)


def check_datetimes(item: dict[str, Any], *names: str) -> None:
    for name in names:
        value = item.get(name)
        assert value is None or W3C.match(value), (name, value)


def parse_xml(content: bytes, root: str) -> ET.Element:
    text = content.decode("utf-8")
    assert text.startswith(XML_DECLARATION)
    element = ET.fromstring(content)  # noqa: S314  # our own server's answer in a test
    assert element.tag == root
    assert not element.attrib  # schemaless, no namespace
    return element


def children(element: ET.Element, tag: str) -> list[ET.Element]:
    items = list(element)
    assert all(child.tag == tag for child in items), [c.tag for c in items]
    return items


def fields(element: ET.Element, names: tuple[str, ...]) -> dict[str, str]:
    """The element's scalar children by name, checking that each listed one is there."""
    found = {child.tag: (child.text or "") for child in element}
    missing = [n for n in names if n not in found]
    assert not missing, missing
    return found


def xml_errors(content: bytes) -> list[dict[str, str]]:
    root = parse_xml(content, "errors")
    out = [fields(e, ("code", "description")) for e in children(root, "error")]
    assert out
    assert all(e["code"].isdigit() and e["description"] for e in out)
    return out
