"""One work order ⇄ one table row, both ways, under a `ColumnMapping`.

`row_parse` turns a row into the petition data intake validates (canonical: the same work
order always gives the same data, so a re-import is recognised by its idempotency key and
digest), or into row errors naming the column. `case_row` writes a stored hotline petition
back as a row that `row_parse` reads to the same data: export → import round-trips.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from xinfang.cases.models import Case
from xinfang.catalog.models import Category
from xinfang.catalog.selectors import petition_type_get
from xinfang.clock.engine import TZ
from xinfang.core import validators as v
from xinfang.core.errors import FieldErrors, Msg
from xinfang.hotline.mapping import EXPORT_DATE_FORMAT, REQUIRED, ColumnMapping, Target
from xinfang.hotline.selectors import category_resolve, region_name_unique, region_resolve
from xinfang.hotline.tabular import cell_text
from xinfang.intake.text import delivery_key, title_derive
from xinfang.intake.validation import validate_petition
from xinfang.orgs.models import Region
from xinfang.orgs.selectors import bureau_for_region

# The 12345 system's name: the channel part of an imported order's idempotency key
# (`12345:<工单编号>`) and the start of a title made for an order without one.
HOTLINE_NAME = "12345"
CALL = "来电"

MISSING_COLUMN = Msg("缺少必需列", "Required column missing")
REQUIRED_VALUE = Msg("不能为空", "Must not be empty")
BAD_DATE = Msg("无法识别的时间：{value}", "Unrecognised date/time: {value}")
UNKNOWN_DEMAND = Msg("未知的诉求类型：{value}", "Unknown demand type: {value}")
UNKNOWN_REGION = Msg("未知的问题属地：{value}", "Unknown region: {value}")
AMBIGUOUS_REGION = Msg(
    "问题属地不唯一，请写区划代码：{value}", "Ambiguous region, use its code: {value}"
)
NO_RECEIVER = Msg("问题属地尚无受理的信访部门：{value}", "No petition bureau receives for: {value}")
UNKNOWN_CATEGORY = Msg("未知的分类：{value}", "Unknown category: {value}")
AMBIGUOUS_CATEGORY = Msg("分类名称不唯一，请写分类代码：{value}", "Ambiguous category: {value}")
DUPLICATE_NUMBER = Msg("工单编号与第 {row} 行重复", "Work order number repeats row {row}")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: Msg


@dataclass(frozen=True)
class ParsedRow:
    """A row ready for intake: its petition data and the work-order extras."""

    row: int
    number: str
    key: str
    data: dict[str, Any]
    called_at: datetime
    demand_type: str
    column: str = ""  # the number's column, where errors about the whole order are shown


@dataclass(frozen=True)
class Columns:
    """Where each mapped target sits in this file's header, and the header's name for it."""

    index: dict[Target, int]
    names: dict[Target, str]

    def name(self, target: Target, mapping: ColumnMapping) -> str:
        return self.names.get(target) or mapping.header(target)


def columns_resolve(
    header: Sequence[str], mapping: ColumnMapping
) -> tuple[Columns, list[RowError]]:
    """Find each target's column (the first of its names present); a missing required
    column is an error on the header row."""
    position = {name: i for i, name in reversed(list(enumerate(header))) if name}
    index: dict[Target, int] = {}
    names: dict[Target, str] = {}
    for target, candidates in mapping.columns.items():
        found = next((n for n in candidates if n in position), None)
        if found is not None:
            index[target], names[target] = position[found], found
    required = [*REQUIRED, *([] if mapping.default_region else [Target.REGION])]
    errors = [RowError(1, mapping.header(t), MISSING_COLUMN) for t in required if t not in index]
    return Columns(index, names), errors


def parse_time(value: Any, formats: Sequence[str]) -> datetime | None:
    """A call time from an Excel date cell or text in one of `formats` (local time when naive)."""
    if isinstance(value, datetime):
        found: datetime | None = value
    else:
        text = cell_text(value)
        found = None
        for fmt in formats:
            try:
                found = datetime.strptime(text, fmt)  # noqa: DTZ007  # made aware below
                break
            except ValueError:
                continue
    if found is None:
        return None
    return found if timezone.is_aware(found) else found.replace(tzinfo=TZ)


# Where intake's field errors belong in the file.
FIELD_TARGETS: dict[str, Target] = {
    "title": Target.TITLE,
    "content": Target.CONTENT,
    "petition_type": Target.DEMAND_TYPE,
    "region_code": Target.REGION,
    "category_code": Target.CATEGORY,
    "petitioner.name": Target.CALLER_NAME,
    "petitioner.phone": Target.CALLER_PHONE,
    "petitioner.address": Target.ADDRESS,
}


class _Row:
    """Reading one row: each lookup adds its error under its column and returns a default."""

    def __init__(self, number: int, cells: Sequence[Any], columns: Columns, mapping: ColumnMapping):
        self.number, self.cells, self.columns, self.mapping = number, cells, columns, mapping
        self.errors: list[RowError] = []

    def raw(self, target: Target) -> Any:
        i = self.columns.index.get(target)
        return self.cells[i] if i is not None and i < len(self.cells) else None

    def text(self, target: Target) -> str:
        return cell_text(self.raw(target))

    def fail(self, target: Target, msg: Msg) -> None:
        self.errors.append(RowError(self.number, self.columns.name(target, self.mapping), msg))

    def required(self, target: Target) -> str:
        value = self.text(target)
        if not value:
            self.fail(target, REQUIRED_VALUE)
        return value

    def lookup(
        self, target: Target, value: str, resolve: Callable[[str], Any], msgs: tuple[Msg, Msg]
    ) -> Any:
        found = resolve(value)
        if isinstance(found, str):
            self.fail(target, (msgs[1] if found == "ambiguous" else msgs[0]).format(value=value))
            return None
        return found


def _demand(row: _Row) -> tuple[str, str]:
    """(the demand type as written, the petition type code it maps to)."""
    name = row.text(Target.DEMAND_TYPE)
    code = row.mapping.demand_types.get(name) if name else row.mapping.default_demand_type
    if code is None and petition_type_get(code=name) is not None:
        code = name  # a petition type code written as such (our own export of a custom type)
    if code is None:
        row.fail(Target.DEMAND_TYPE, UNKNOWN_DEMAND.format(value=name))
        return name, ""
    return name, code


def _region(row: _Row, cache: dict[str, Any]) -> str:
    value = row.text(Target.REGION)
    value = row.mapping.regions.get(value, value) or row.mapping.default_region
    if not value:
        row.fail(Target.REGION, REQUIRED_VALUE)
        return ""
    if value not in cache:
        cache[value] = region_resolve(value=value)
    region = row.lookup(
        Target.REGION, value, lambda _: cache[value], (UNKNOWN_REGION, AMBIGUOUS_REGION)
    )
    if not isinstance(region, Region):
        return ""
    if bureau_for_region(region=region) is None:
        row.fail(Target.REGION, NO_RECEIVER.format(value=value))
        return ""
    return region.code


def _category(row: _Row, cache: dict[str, Any]) -> str:
    value = row.text(Target.CATEGORY)
    value = row.mapping.categories.get(value, value)
    if not value:
        return ""
    if value not in cache:
        cache[value] = category_resolve(value=value)
    category = row.lookup(
        Target.CATEGORY, value, lambda _: cache[value], (UNKNOWN_CATEGORY, AMBIGUOUS_CATEGORY)
    )
    return category.code if isinstance(category, Category) else ""


def _title(row: _Row, content: str, demand_name: str) -> str:
    """The order's title, or one made from its content: never too short for intake, so a
    call that opens with "您好" is not refused for want of a title."""
    known = demand_name in row.mapping.demand_types
    fallback = f"{HOTLINE_NAME}{demand_name if known else CALL}"
    return title_derive(subject=row.text(Target.TITLE), body=content, fallback=fallback)


def _data(
    row: _Row, regions: dict[str, Any], categories: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    content = row.required(Target.CONTENT)
    demand_name, type_code = _demand(row)
    name, phone = row.text(Target.CALLER_NAME), v.normalize_phone(row.text(Target.CALLER_PHONE))
    anonymous = not phone and (not name or name in row.mapping.anonymous_names)
    data: dict[str, Any] = {
        "title": _title(row, content, demand_name),
        "content": content,
        "petition_type": type_code,
        "region_code": _region(row, regions),
        "category_code": _category(row, categories),
        "anonymous": anonymous,
        "consent_publish": False,  # a caller is not asked on the phone; publishing needs consent
    }
    if not anonymous:
        data["petitioner"] = {"name": name, "phone": phone, "address": row.text(Target.ADDRESS)}
    return data, demand_name


def _validate(row: _Row, data: dict[str, Any]) -> None:
    """Intake's own checks (lengths, phone, type…), reported under the row's columns; only
    when the lookups succeeded, so one cause is not reported twice."""
    if row.errors:
        return
    try:
        validate_petition(data)
    except FieldErrors as exc:
        for field, msgs in exc.errors.items():
            target = FIELD_TARGETS.get(field)
            column = row.columns.name(target, row.mapping) if target else field
            row.errors.extend(RowError(row.number, column, m) for m in msgs)


def row_parse(
    number: int,
    cells: Sequence[Any],
    *,
    columns: Columns,
    mapping: ColumnMapping,
    caches: tuple[dict[str, Any], dict[str, Any]],
) -> ParsedRow | list[RowError]:
    row = _Row(number, cells, columns, mapping)
    work_order = row.required(Target.NUMBER)
    called_raw = row.raw(Target.CALLED_AT)
    called_at = parse_time(called_raw, mapping.date_formats)
    if not cell_text(called_raw):
        row.fail(Target.CALLED_AT, REQUIRED_VALUE)
    elif called_at is None:
        row.fail(Target.CALLED_AT, BAD_DATE.format(value=cell_text(called_raw)))
    data, demand_name = _data(row, *caches)
    _validate(row, data)
    if row.errors or called_at is None:
        return row.errors
    return ParsedRow(
        row=number,
        number=work_order,
        key=delivery_key(HOTLINE_NAME, work_order),
        data=data,
        called_at=called_at,
        demand_type=demand_name,
        column=columns.name(Target.NUMBER, mapping),
    )


# --- export ----------------------------------------------------------------------------------


def _person(case: Case, mapping: ColumnMapping) -> tuple[str, str, str]:
    people = list(case.petitioners.all())  # prefetched: the main petitioner only
    if case.is_anonymous or not people:
        return (mapping.anonymous_names[0] if mapping.anonymous_names else "", "", "")
    p = people[0]
    return p.name, p.phone, p.address


def case_row(case: Case, mapping: ColumnMapping, unique_names: Mapping[int, bool]) -> list[str]:
    """The petition as a row in `mapping.exported()` column order."""
    order = getattr(case, "work_order", None)
    called = order.called_at if order else case.received_at
    demand = order.demand_type if order else ""
    if mapping.demand_types.get(demand) != case.petition_type.code:
        demand = mapping.demand_name(case.petition_type.code) or case.petition_type.code
    name, phone, address = _person(case, mapping)
    region = case.region.name if unique_names[case.region_id] else case.region.code
    values = {
        Target.NUMBER: (order.number if order and order.number else case.item_number),
        Target.CALLED_AT: timezone.localtime(called, TZ).strftime(EXPORT_DATE_FORMAT),
        Target.CALLER_NAME: name,
        Target.CALLER_PHONE: phone,
        Target.DEMAND_TYPE: demand,
        Target.TITLE: case.title,
        Target.CONTENT: case.content,
        Target.REGION: region,
        Target.ADDRESS: address,
        Target.CATEGORY: case.category.code if case.category else "",
    }
    return [values[t] for t in mapping.exported()]


def region_names(cases: Sequence[Case]) -> dict[int, bool]:
    """Region id → whether its name alone is unique (one query per distinct region)."""
    regions = {c.region_id: c.region for c in cases}
    return {pk: region_name_unique(region=r) for pk, r in regions.items()}
