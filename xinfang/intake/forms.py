"""The petition web form's fields in the API's shape, shared by every channel's HTML form
(the portal, proxies, WeChat's H5 page), so one validator serves them all."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from xinfang.cases.services import UploadedFileData
from xinfang.core.errors import FieldErrors
from xinfang.intake.validation import RawFile, check_files, validate_petition

_PERSON_FIELDS = ("name", "phone", "id_number", "address")


def form_data(post: Any) -> dict[str, Any]:
    """The POSTed form in the API's shape, so one validator serves both channels."""
    data: dict[str, Any] = {
        key: post.get(key, "")
        for key in (
            "title",
            "content",
            "petition_type",
            "region_code",
            "category_code",
            "accused_person",
            "accused_unit",
        )
    }
    data["anonymous"] = post.get("anonymous") == "on"
    data["consent_publish"] = post.get("consent_publish") == "on"
    if not data["anonymous"]:
        data["petitioner"] = {key: post.get(key, "") for key in _PERSON_FIELDS}
    return data


def form_field_errors(exc: FieldErrors) -> dict[str, list[str]]:
    # "petitioner.phone" is shown under the form's "phone" input.
    out: dict[str, list[str]] = {}
    for key, msgs in exc.errors.items():
        name = key.rsplit(".", 1)[-1]
        out.setdefault("form" if name == "_" else name, []).extend(str(msg) for msg in msgs)
    return out


def form_files_checked(request: HttpRequest, data: dict[str, Any]) -> list[UploadedFileData]:
    """The uploads, or FieldErrors listing file problems together with the form's own."""
    raws = [RawFile(f.name or "file", f.read()) for f in request.FILES.getlist("attachments")]
    try:
        return check_files(raws)
    except FieldErrors as file_errors:
        try:
            validate_petition(data)
        except FieldErrors as form_errors:
            raise FieldErrors({**form_errors.errors, **file_errors.errors}) from file_errors
        raise
