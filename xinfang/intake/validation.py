"""One validator for every channel: the API and the web form both run PetitionInput.

DRF does the structural checks (types, lengths, required); the domain checks (phone, ID
check digit, region, category, petition type) live in `validate_*` methods. Errors come
out as {"field" or "parent.field": [Msg, …]} so each channel can show both languages.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import filetype
from django.conf import settings
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from xinfang.cases.services import PetitionerData, UploadedFileData
from xinfang.catalog.models import Category, PetitionType
from xinfang.catalog.selectors import category_get, petition_type_get
from xinfang.core import validators as v
from xinfang.core.errors import FieldErrors, Msg
from xinfang.intake import messages as m
from xinfang.orgs.models import Region
from xinfang.orgs.selectors import region_get

TITLE_MIN, TITLE_MAX = 4, 100
CONTENT_MIN, CONTENT_MAX = 10, 5000
MAX_CO_PETITIONERS = 50

ALLOWED_MIME = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_MSG_CODE = "msg:"


def _detail(msg: Msg) -> ErrorDetail:
    """An error that carries both languages through DRF: Chinese as the text, English in the
    code (DRF rebuilds ErrorDetails while collecting errors, so only text and code survive)."""
    return ErrorDetail(msg.zh, code=_MSG_CODE + msg.en)


def field_failure(msg: Msg) -> serializers.ValidationError:
    return serializers.ValidationError([_detail(msg)])


class PersonInput(serializers.Serializer):
    name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate_phone(self, value: str) -> str:
        phone = v.normalize_phone(value)
        if phone and (msg := v.check_phone(phone)):
            raise field_failure(msg)
        return phone

    def validate_id_number(self, value: str) -> str:
        number = v.normalize_id_number(value)
        if number and (msg := v.check_id_number(number)):
            raise field_failure(msg)
        return number


class AttachmentInput(serializers.Serializer):
    filename = serializers.CharField(max_length=200)
    content_base64 = serializers.CharField()


class PetitionInput(serializers.Serializer):
    title = serializers.CharField(min_length=TITLE_MIN, max_length=TITLE_MAX)
    content = serializers.CharField(min_length=CONTENT_MIN, max_length=CONTENT_MAX)
    petition_type = serializers.CharField(max_length=32)
    region_code = serializers.CharField(max_length=12)
    category_code = serializers.CharField(max_length=6, required=False, allow_blank=True)
    petitioner = PersonInput(required=False)
    co_petitioners = PersonInput(  # type: ignore[call-arg]  # ListSerializer takes max_length
        many=True, required=False, max_length=MAX_CO_PETITIONERS
    )
    anonymous = serializers.BooleanField(default=False)
    consent_publish = serializers.BooleanField(default=False)
    accused_person = serializers.CharField(max_length=64, required=False, allow_blank=True)
    accused_unit = serializers.CharField(max_length=128, required=False, allow_blank=True)
    involved_count = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)
    attachments = AttachmentInput(many=True, required=False)

    def to_internal_value(self, data: Any) -> Any:
        # Every problem is reported at once, so a citizen fixes the form in one go: unknown
        # fields (a typo must not silently drop data), missing identity, and field errors.
        errors: dict[str, Any] = {}
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            errors = {k: [ErrorDetail("unknown", code="unknown_field")] for k in unknown}
            if identity := _missing_identity(data):
                errors["petitioner"] = identity
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"_": exc.detail}
            raise serializers.ValidationError(_merge(errors, detail)) from exc
        if errors:
            raise serializers.ValidationError(errors)
        return value

    def validate_petition_type(self, value: str) -> PetitionType:
        ptype = petition_type_get(code=value.strip())
        if ptype is None:
            raise field_failure(m.PETITION_TYPE_UNKNOWN)
        return ptype

    def validate_region_code(self, value: str) -> Region:
        region = region_get(code=value)
        if region is None:
            raise field_failure(m.REGION_UNKNOWN)
        if not region.code.startswith(settings.XINFANG_PROVINCE):
            raise field_failure(m.REGION_OUTSIDE)
        return region

    def validate_category_code(self, value: str) -> Category | None:
        if not value:
            return None
        category = category_get(code=value.strip())
        if category is None:
            raise field_failure(m.CATEGORY_UNKNOWN)
        return category

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["files"] = decode_attachments(attrs.pop("attachments", []))
        return attrs


def _missing_identity(data: Mapping[str, Any]) -> dict[str, list[ErrorDetail]]:
    """Name and phone are required unless the petition is anonymous (信访工作条例 Art. 23)."""
    try:
        anonymous = serializers.BooleanField().to_internal_value(data.get("anonymous", False))
    except serializers.ValidationError:
        return {}  # the anonymous field itself reports the problem
    person = data.get("petitioner")
    if anonymous or (person is not None and not isinstance(person, Mapping)):
        return {}
    person = person or {}
    errors = {}
    if not str(person.get("name") or "").strip():
        errors["name"] = [_detail(m.NAME_REQUIRED)]
    if not str(person.get("phone") or "").strip():
        errors["phone"] = [_detail(m.PHONE_REQUIRED)]
    return errors


def _merge(extra: dict[str, Any], detail: dict[str, Any]) -> dict[str, Any]:
    merged = dict(detail)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**value, **merged[key]}  # a format error beats "missing"
        else:
            merged.setdefault(key, value)
    return merged


@dataclass(frozen=True)
class RawFile:
    name: str
    content: bytes


def check_file(raw: RawFile) -> UploadedFileData | Msg:
    """Accept a file only if its bytes (not its name or declared type) are an allowed type."""
    limit = settings.XINFANG_ATTACHMENT_MAX_BYTES
    if not raw.content:
        return m.FILE_EMPTY
    if len(raw.content) > limit:
        return m.FILE_SIZE.format(mb=limit // (1024 * 1024))
    kind = filetype.guess(raw.content[:8192])
    if kind is None or kind.mime not in ALLOWED_MIME:
        return m.FILE_TYPE
    digest = hashlib.sha256(raw.content).hexdigest()
    return UploadedFileData(
        name=raw.name, content=raw.content, content_type=kind.mime, sha256=digest
    )


def check_files(raws: list[RawFile]) -> list[UploadedFileData]:
    """Validated files, or FieldErrors under "attachments"."""
    limit = settings.XINFANG_ATTACHMENT_MAX_COUNT
    if len(raws) > limit:
        raise FieldErrors({"attachments": [m.FILE_COUNT.format(n=limit)]})
    files: list[UploadedFileData] = []
    errors: list[Msg] = []
    for raw in raws:
        result = check_file(raw)
        if isinstance(result, Msg):
            errors.append(Msg(f"{raw.name}：{result.zh}", f"{raw.name}: {result.en}"))
        else:
            files.append(result)
    if errors:
        raise FieldErrors({"attachments": errors})
    return files


def decode_attachments(items: list[dict[str, str]]) -> list[UploadedFileData]:
    raws = []
    for item in items:
        try:
            content = base64.b64decode(item["content_base64"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise serializers.ValidationError({"attachments": [_detail(m.FILE_BASE64)]}) from exc
        raws.append(RawFile(item["filename"], content))
    try:
        return check_files(raws)
    except FieldErrors as exc:
        raise serializers.ValidationError(
            {"attachments": [_detail(msg) for msg in exc.errors["attachments"]]}
        ) from exc


def _to_msg(detail: ErrorDetail, field: str, serializer_field: Any) -> Msg:
    code = str(detail.code)
    if code.startswith(_MSG_CODE):
        return Msg(str(detail), code.removeprefix(_MSG_CODE))
    name = field.rsplit(".", 1)[-1]
    template = m.GENERIC.get(code, m.GENERIC["invalid"])
    if code in ("required", "blank") and name in m.CHOICE_FIELDS:
        template = m.CHOOSE
    label = m.FIELD_LABELS.get(name, Msg(field, field))
    limit = ""
    for attr in ("max_length", "min_length", "max_value", "min_value"):
        if code == attr:
            limit = str(getattr(serializer_field, attr, "") or "")
    return Msg(
        template.zh.format(field=label.zh, limit=limit),
        template.en.format(field=label.en, field_lower=label.en.lower(), limit=limit),
    )


def flatten_errors(errors: Any, serializer: Any, prefix: str = "") -> dict[str, list[Msg]]:
    """DRF's nested error structure → {"petitioner.phone": [Msg]} with bilingual text."""
    out: dict[str, list[Msg]] = {}
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            name = "_" if key == "non_field_errors" else key
            path = f"{prefix}{name}"
            child = _child(serializer, key)
            for sub_key, msgs in flatten_errors(value, child, f"{path}.").items():
                out.setdefault(sub_key, []).extend(msgs)
            if isinstance(value, list) and value and isinstance(value[0], ErrorDetail):
                out[path] = [_to_msg(d, path, child) for d in value]
    elif isinstance(errors, list):
        for index, item in enumerate(errors):
            if isinstance(item, Mapping) and item:
                out.update(
                    flatten_errors(item, _child(serializer, "__item__"), f"{prefix}{index}.")
                )
    return out


def _child(serializer: Any, key: str) -> Any:
    if serializer is None:
        return None
    if key == "__item__":
        return getattr(serializer, "child", None)
    fields = getattr(serializer, "fields", None)
    if fields is None and hasattr(serializer, "child"):
        fields = getattr(serializer.child, "fields", None)
    return fields.get(key) if fields is not None else None


@dataclass(frozen=True)
class ValidPetition:
    petition_type: PetitionType
    region: Region
    category: Category | None
    title: str
    content: str
    anonymous: bool
    consent_publish: bool
    accused_person: str
    accused_unit: str
    involved_count: int
    petitioners: list[PetitionerData]
    files: list[UploadedFileData]


def validate_petition(data: Any) -> ValidPetition:
    """Validate raw input from any channel; raises FieldErrors listing every problem."""
    serializer = PetitionInput(data=data)
    if not serializer.is_valid():
        raise FieldErrors(flatten_errors(serializer.errors, serializer))
    d = serializer.validated_data
    people: list[PetitionerData] = []
    if not d["anonymous"]:
        main = d.get("petitioner") or {}
        people.append(PetitionerData(**main, is_main=True))
        people += [PetitionerData(**p, is_main=False) for p in d.get("co_petitioners", [])]
    return ValidPetition(
        petition_type=d["petition_type"],
        region=d["region_code"],
        category=d.get("category_code"),
        title=d["title"].strip(),
        content=d["content"].strip(),
        anonymous=d["anonymous"],
        consent_publish=d["consent_publish"],
        accused_person=d.get("accused_person", ""),
        accused_unit=d.get("accused_unit", ""),
        involved_count=d.get("involved_count") or max(1, len(people)),
        petitioners=people,
        files=d["files"],
    )
