"""What each kind of document needs from its caller, and how those inputs are checked.

`fields_clean` turns a caller's mapping into JSON-ready values (dates as ISO strings) and
reports every problem at once; `fields_display` turns stored values into document wording.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from django.db import models
from django.utils import translation

from xinfang.clock.engine import TZ
from xinfang.core.errors import FieldErrors, Msg
from xinfang.documents.choices import (
    DIVERT_CHANNEL_ORGAN,
    DivertChannel,
    DocumentKind,
    Outcome,
    ReviewOutcome,
    SupervisionLevel,
)


class FieldType(StrEnum):
    TEXT = "text"
    DATE = "date"
    INT = "int"
    CHOICE = "choice"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Msg
    ftype: FieldType = FieldType.TEXT
    required: bool = True
    max_length: int = 200
    choices: type[models.TextChoices] | None = None
    default: int | None = None  # INT fields only
    bounds: tuple[int, int] = (1, 365)  # INT fields only
    # DATE fields: the document speaks about a time limit, so it cannot lie before issue.
    not_before_issue: bool = False
    # DATE fields left empty take the issue date (e.g. "accepted on" in a receipt notice).
    defaults_to_issue: bool = False


LONG = 20000


def _text(name: str, zh: str, en: str, *, required: bool = True, long: bool = False) -> FieldSpec:
    return FieldSpec(name, Msg(zh, en), required=required, max_length=LONG if long else 200)


def _choice(name: str, zh: str, en: str, choices: type[models.TextChoices]) -> FieldSpec:
    return FieldSpec(name, Msg(zh, en), FieldType.CHOICE, choices=choices)


def _due(name: str, zh: str, en: str) -> FieldSpec:
    return FieldSpec(name, Msg(zh, en), FieldType.DATE, not_before_issue=True)


def _days(name: str, zh: str, en: str, default: int, upper: int) -> FieldSpec:
    return FieldSpec(
        name, Msg(zh, en), FieldType.INT, required=False, default=default, bounds=(1, upper)
    )


REASON = _text("reason", "理由", "Reason", long=True)
LEGAL_BASIS = _text("legal_basis", "法律依据", "Legal basis", long=True)
LEGAL_BASIS_OPTIONAL = _text("legal_basis", "法律依据", "Legal basis", required=False, long=True)
TARGET_ORG = _text("target_org_name", "有权处理机关名称", "Name of the competent organ")
REQUEST = _text("request", "信访请求", "Request", long=True)
FACTS = _text("facts", "查明的事实", "Facts found", long=True)
REASONS = _text("reasons", "处理理由", "Reasons", long=True)
OPINION = _text("opinion", "具体处理意见", "Detailed opinion", required=False, long=True)
ORIGINAL_ORG = _text("original_org_name", "原处理机关名称", "Original organ", required=False)
ORIGINAL_NUMBER = _text(
    "original_number", "原意见书文号", "Original opinion number", required=False
)
REQUIREMENTS = _text("requirements", "工作要求", "Requirements", required=False, long=True)

KIND_FIELDS: dict[DocumentKind, tuple[FieldSpec, ...]] = {
    DocumentKind.RECEIPT_NOTICE: (
        FieldSpec(
            "accepted_on",
            Msg("受理日期", "Acceptance date"),
            FieldType.DATE,
            required=False,
            defaults_to_issue=True,
        ),
        _days("handling_days", "办理期限（日）", "Handling period (days)", 60, 90),
        _text("procedure", "办理途径和程序", "Handling route", required=False, long=True),
    ),
    DocumentKind.NOT_ACCEPTED_NOTICE: (
        REASON,
        LEGAL_BASIS_OPTIONAL,
        _text("earlier_item_number", "在先信访件编号", "Earlier item number", required=False),
    ),
    DocumentKind.REDIRECT_NOTICE: (REASON, TARGET_ORG, LEGAL_BASIS_OPTIONAL),
    DocumentKind.DIVERT_NOTICE: (
        REASON,
        _choice("channel", "法定途径", "Statutory channel", DivertChannel),
        _text("target_org_name", "有权处理机关名称", "Competent organ", required=False),
        LEGAL_BASIS_OPTIONAL,
    ),
    DocumentKind.FORWARD_NOTICE: (
        TARGET_ORG,
        FieldSpec(
            "forwarded_on",
            Msg("转送日期", "Forwarding date"),
            FieldType.DATE,
            required=False,
            defaults_to_issue=True,
        ),
    ),
    DocumentKind.ASSIGN_NOTICE: (
        _text("target_org_name", "承办单位名称", "Assigned unit"),
        _due("due", "办结报告期限", "Report due"),
        REQUIREMENTS,
    ),
    DocumentKind.EXTENSION_NOTICE: (
        _text("reason", "延期理由", "Reason for the extension", long=True),
        _due("new_due", "延长后的办理期限", "New due date"),
    ),
    DocumentKind.REPLY_OPINION: (
        REQUEST,
        FACTS,
        REASONS,
        _choice("outcome", "处理结果", "Outcome", Outcome),
        LEGAL_BASIS,
        OPINION,
        _text("remedy_org", "复查机关名称", "Re-examination organ"),
        _days("remedy_days", "申请复查期限（日）", "Days to request re-examination", 30, 365),
    ),
    DocumentKind.REEXAM_OPINION: (
        _text("request", "复查请求", "Re-examination request", long=True),
        FACTS,
        REASONS,
        _choice("outcome", "复查结论", "Re-examination outcome", ReviewOutcome),
        LEGAL_BASIS,
        OPINION,
        ORIGINAL_ORG,
        ORIGINAL_NUMBER,
        _text("remedy_org", "复核机关名称", "Review organ"),
        _days("remedy_days", "申请复核期限（日）", "Days to request review", 30, 365),
    ),
    DocumentKind.REVIEW_OPINION: (
        _text("request", "复核请求", "Review request", long=True),
        FACTS,
        REASONS,
        _choice("outcome", "复核结论", "Review outcome", ReviewOutcome),
        LEGAL_BASIS,
        OPINION,
        ORIGINAL_ORG,
        ORIGINAL_NUMBER,
        _text("hearing", "听证情况", "Hearing", required=False, long=True),
    ),
    DocumentKind.SUPERVISION_ORDER: (
        _choice("level", "督办类别", "Supervision level", SupervisionLevel),
        _text("target_org_name", "被督办单位名称", "Supervised unit"),
        _text("problem", "存在的问题", "Problem found", long=True),
        _due("feedback_due", "书面反馈期限", "Written feedback due"),
        REQUIREMENTS,
    ),
}


def required_fields(kind: DocumentKind) -> list[str]:
    return [spec.name for spec in KIND_FIELDS[kind] if spec.required]


# --- checking ----------------------------------------------------------------------------


class _Invalid(Exception):
    def __init__(self, message: Msg) -> None:
        self.message = message


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.astimezone(TZ).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return _as_date(datetime.fromisoformat(value.strip()))
        except ValueError:
            pass
    raise ValueError(value)


def _clean_text(spec: FieldSpec, value: Any) -> str:
    zh, en = spec.label.zh, spec.label.en
    if not isinstance(value, str):
        raise _Invalid(Msg(f"{zh}应为文字。", f"{en} must be text."))
    text = value.strip()
    if len(text) > spec.max_length:
        n = spec.max_length
        raise _Invalid(Msg(f"{zh}不能超过{n}个字。", f"{en} must be at most {n} characters."))
    return text


def _clean_date(spec: FieldSpec, value: Any, issued: date) -> str:
    zh, en = spec.label.zh, spec.label.en
    try:
        day = _as_date(value)
    except ValueError:
        raise _Invalid(
            Msg(f"{zh}应为日期（如 2026-12-31）。", f"{en} must be a date (e.g. 2026-12-31).")
        ) from None
    if spec.not_before_issue and day < issued:
        raise _Invalid(Msg(f"{zh}不能早于签发日期。", f"{en} cannot be before the issue date."))
    return day.isoformat()


def _clean_int(spec: FieldSpec, value: Any) -> int:
    low, high = spec.bounds
    number = low - 1
    if not isinstance(value, bool):  # True is an int to Python, not a number of days
        with contextlib.suppress(TypeError, ValueError):
            number = int(value)
    if not low <= number <= high:
        raise _Invalid(
            Msg(
                f"{spec.label.zh}应为{low}至{high}之间的整数。",
                f"{spec.label.en} must be a whole number from {low} to {high}.",
            )
        )
    return number


def _clean_choice(spec: FieldSpec, value: Any) -> str:
    choices = spec.choices
    assert choices is not None  # noqa: S101 - every CHOICE spec names its choices
    if value not in choices.values:
        with translation.override("zh-hans"):
            zh = "、".join(f"{c.value}（{c.label}）" for c in choices)
        en = ", ".join(choices.values)
        raise _Invalid(
            Msg(
                f"{spec.label.zh}的取值无效，可选：{zh}。", f"{spec.label.en} must be one of: {en}."
            )
        )
    return str(value)


def _clean_one(spec: FieldSpec, value: Any, issued: date) -> Any:
    if spec.ftype is FieldType.DATE:
        return _clean_date(spec, value, issued)
    if spec.ftype is FieldType.INT:
        return _clean_int(spec, value)
    if spec.ftype is FieldType.CHOICE:
        return _clean_choice(spec, value)
    return _clean_text(spec, value)


def _absent_value(spec: FieldSpec, issued: date) -> Any:
    if spec.ftype is FieldType.INT:
        return spec.default
    if spec.defaults_to_issue:
        return issued.isoformat()
    return ""


def fields_clean(*, kind: DocumentKind, raw: Mapping[str, Any], issued: date) -> dict[str, Any]:
    """Every field of `kind`, checked and JSON-ready; FieldErrors names each problem."""
    specs = {spec.name: spec for spec in KIND_FIELDS[kind]}
    errors: dict[str, list[Msg]] = {
        name: [Msg("该文书没有此项内容。", "This kind of document has no such field.")]
        for name in raw
        if name not in specs
    }
    values: dict[str, Any] = {}
    for name, spec in specs.items():
        value = raw.get(name)
        if _blank(value):
            if spec.required:
                errors[name] = [Msg(f"请填写{spec.label.zh}。", f"{spec.label.en} is required.")]
            values[name] = _absent_value(spec, issued)
            continue
        try:
            values[name] = _clean_one(spec, value, issued)
        except _Invalid as exc:
            errors[name] = [exc.message]
    _check_together(kind, values, errors)
    if errors:
        raise FieldErrors(errors)
    return values


def _check_together(
    kind: DocumentKind, values: Mapping[str, Any], errors: dict[str, list[Msg]]
) -> None:
    # "Other organ" says nothing by itself: the petitioner must be told which one.
    if (
        kind == DocumentKind.DIVERT_NOTICE
        and values.get("channel") == DivertChannel.OTHER_ORGAN
        and not values.get("target_org_name")
    ):
        errors.setdefault("target_org_name", []).append(
            Msg("导入其他法定途径时，请填写有权处理机关名称。", "Name the competent organ.")
        )


# --- wording -----------------------------------------------------------------------------


def date_zh(day: date) -> str:
    """A date as official documents write it: 2026年1月5日 (no leading zeros, GB/T 9704)."""
    return f"{day.year}年{day.month}月{day.day}日"


def _display_one(spec: FieldSpec, value: Any) -> Any:
    if spec.ftype is FieldType.DATE and value:
        return date_zh(date.fromisoformat(value))
    if spec.ftype is FieldType.CHOICE and spec.choices is not None and value:
        return str(spec.choices(value).label)
    return value


def fields_display(*, kind: DocumentKind, values: Mapping[str, Any]) -> dict[str, Any]:
    """Stored values as the document words them (dates in Chinese, codes as their names)."""
    with translation.override("zh-hans"):
        shown = {spec.name: _display_one(spec, values.get(spec.name)) for spec in KIND_FIELDS[kind]}
    if kind == DocumentKind.DIVERT_NOTICE and values.get("channel"):
        shown["channel_organ"] = DIVERT_CHANNEL_ORGAN[DivertChannel(values["channel"])]
    return shown


def fields_sample(*, kind: DocumentKind, issued: date) -> dict[str, Any]:
    """Plausible values for every field of `kind`, to try a template before saving it."""
    values: dict[str, Any] = {}
    for spec in KIND_FIELDS[kind]:
        if spec.ftype is FieldType.DATE:
            values[spec.name] = (issued + timedelta(days=30)).isoformat()
        elif spec.ftype is FieldType.INT:
            values[spec.name] = spec.default
        elif spec.ftype is FieldType.CHOICE and spec.choices is not None:
            values[spec.name] = spec.choices.values[0]
        else:
            values[spec.name] = f"（{spec.label.zh}）"
    return values
