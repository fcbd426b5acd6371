"""The petition web form's fields in the API's shape, shared by every channel's HTML form
(the portal, proxies, WeChat's H5 page), so one validator serves them all."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from xinfang.cases.services import UploadedFileData
from xinfang.catalog.selectors import petition_type_list
from xinfang.core import crypto
from xinfang.core.errors import ApplicationError, FieldErrors, Msg
from xinfang.core.http import client_key
from xinfang.core.ratelimit import window_count, window_hit
from xinfang.intake.services import Receipt
from xinfang.intake.validation import (
    CONTENT_MAX,
    TITLE_MAX,
    RawFile,
    check_files,
    validate_petition,
)

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


_SUBMIT_WINDOW = 3600
SUBMIT_THROTTLED = Msg(
    "提交过于频繁，请一小时后再试。您填写的内容仍保留在下方。",
    "Too many petitions from this connection; try again in an hour. Your entries are kept below.",
)
RECEIPT_SESSION_KEY = "xinfang_receipt"


def _submit_counter(request: HttpRequest) -> str:
    return "intake.submit:" + crypto.blind_index(client_key(request), context="intake.client")


def submit_throttled(request: HttpRequest) -> bool:
    """Accepted petitions per client in the hour, over every web form (portal, WeChat H5);
    a fixed window counted in the cache. A failed submit does not count, so fixing one's
    errors is never refused."""
    count = window_count(key=_submit_counter(request), window=_SUBMIT_WINDOW)
    return count >= settings.XINFANG_SUBMIT_MAX_PER_HOUR


def submit_counted(request: HttpRequest) -> None:
    window_hit(key=_submit_counter(request), window=_SUBMIT_WINDOW)


def form_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    """What intake/submit.html needs; `extra` adds or overrides (pre-filled values …)."""
    return {
        "types": petition_type_list(),
        "values": request.POST if request.method == "POST" else {},
        "errors": {},
        "form_token": request.POST.get("form_token") or uuid.uuid4().hex,
        "title_max": TITLE_MAX,
        "content_max": CONTENT_MAX,
        **extra,
    }


def receipt_remember(request: HttpRequest, receipt: Receipt) -> None:
    """Keep the receipt for the page after the redirect; an anonymous petitioner's secret is
    shown there once (a repeated submit keeps the one first shown)."""
    earlier = request.session.get(RECEIPT_SESSION_KEY, {}).get("secret", "")
    request.session[RECEIPT_SESSION_KEY] = {
        "item_number": receipt.case.item_number,
        "query_code": receipt.case.query_code,
        "secret": receipt.secret or earlier,
        "anonymous": receipt.case.is_anonymous,
    }


def citizen_form_post(
    request: HttpRequest,
    *,
    submit: Callable[[dict[str, Any], list[UploadedFileData]], Receipt],
    rerender: Callable[[dict[str, list[str]], int], HttpResponse],
) -> Receipt | HttpResponse:
    """A POST of the citizens' form (the portal's, and WeChat's H5 form): the hourly limit,
    the fields and uploads, `submit`, errors shown again with the form (`rerender(errors,
    status)`); a stored petition is counted and its receipt kept for the receipt page."""
    if submit_throttled(request):
        return rerender({"form": [str(SUBMIT_THROTTLED)]}, 429)
    data = form_data(request.POST)
    try:
        receipt = submit(data, form_files_checked(request, data))
    except FieldErrors as exc:
        return rerender(form_field_errors(exc), 400)
    except ApplicationError as exc:
        return rerender({"form": [str(exc.message)]}, 400)
    submit_counted(request)
    receipt_remember(request, receipt)
    return receipt
