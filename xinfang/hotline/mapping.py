"""Which column of a 12345 export holds which part of a work order, and how its values read.

The default fits a typical 12345 export (工单编号, 来电时间, 来电人, 来电号码, 诉求类型, 标题,
诉求内容, 问题属地, 地址, 分类). A city whose export differs passes a JSON file that overrides
only what differs (see `mapping_load` and docs in the hotline README section of the report):

    {"columns": {"number": "受理编号", "title": null},
     "demand_types": {"意见": "suggestion"},
     "regions": {"高新区": "430104"},
     "default_region": "430100",
     "date_formats": ["%Y年%m月%d日 %H:%M"]}
"""

from __future__ import annotations

import json
from collections.abc import Mapping as AbcMapping
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from xinfang.core.errors import ApplicationError, Msg


class Target(StrEnum):
    """The parts of a work order the importer reads, in export column order."""

    NUMBER = "number"
    CALLED_AT = "called_at"
    CALLER_NAME = "caller_name"
    CALLER_PHONE = "caller_phone"
    DEMAND_TYPE = "demand_type"
    TITLE = "title"
    CONTENT = "content"
    REGION = "region"
    ADDRESS = "address"
    CATEGORY = "category"


# Without these a row cannot become a petition exactly once (number), on time (called_at),
# or at all (content). The region may come from `default_region` instead of a column.
REQUIRED = (Target.NUMBER, Target.CALLED_AT, Target.CONTENT)

DEFAULT_COLUMNS: dict[Target, tuple[str, ...]] = {
    Target.NUMBER: ("工单编号", "工单号"),
    Target.CALLED_AT: ("来电时间", "受理时间", "登记时间"),
    Target.CALLER_NAME: ("来电人", "来电人姓名", "诉求人"),
    Target.CALLER_PHONE: ("来电号码", "联系电话", "来电人电话"),
    Target.DEMAND_TYPE: ("诉求类型", "工单类型"),
    Target.TITLE: ("标题", "工单标题"),
    Target.CONTENT: ("诉求内容", "来电内容", "工单内容"),
    Target.REGION: ("问题属地", "属地", "所属区域"),
    Target.ADDRESS: ("地址", "来电人地址", "联系地址"),
    Target.CATEGORY: ("分类", "诉求分类", "内容分类"),
}

# 12345 demand types (DOMAIN §10.3) → petition types (catalog codes). Export writes, for a
# petition without its original demand type, the first name listed for its type.
DEFAULT_DEMAND_TYPES: dict[str, str] = {
    "咨询": "consultation",
    "投诉": "appeal",
    "求助": "appeal",
    "举报": "accusation",
    "建议": "suggestion",
    "表扬感谢": "praise",
    "表扬": "praise",
    "感谢": "praise",
    "其他": "appeal",
}

DEFAULT_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d%H%M%S",
)
EXPORT_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class MappingError(ApplicationError):
    code = "bad_mapping"


@dataclass(frozen=True)
class ColumnMapping:
    """The mapping in force: header names per target (first one found wins; the first one
    is what export writes), value tables, and reading options."""

    columns: dict[Target, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_COLUMNS))
    demand_types: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_DEMAND_TYPES))
    default_demand_type: str = "appeal"
    regions: dict[str, str] = field(default_factory=dict)
    default_region: str = ""
    categories: dict[str, str] = field(default_factory=dict)
    date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS
    anonymous_names: tuple[str, ...] = ("匿名", "不愿透露")
    encoding: str = ""  # CSV: "" = detect (UTF-8 with or without BOM, else GB18030 ⊇ GBK)
    sheet: str = ""  # XLSX: "" = the first sheet

    def header(self, target: Target) -> str:
        names = self.columns.get(target, ())
        return names[0] if names else ""

    def exported(self) -> list[Target]:
        return [t for t in Target if self.columns.get(t)]

    def demand_name(self, petition_type_code: str) -> str:
        return next((k for k, v in self.demand_types.items() if v == petition_type_code), "")


def _bad(zh: str, en: str) -> MappingError:
    return MappingError(Msg(f"字段映射有误：{zh}", f"Bad field mapping: {en}"))


def _names(target: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not (isinstance(value, Sequence) and all(isinstance(v, str) and v.strip() for v in value)):
        raise _bad(f"columns.{target} 应为列名或列名列表", f"columns.{target} must name columns")
    return tuple(v.strip() for v in value)


def _str_map(key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, AbcMapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _bad(f"{key} 应为“名称: 代码”的对象", f"{key} must map names to codes")
    return {k.strip(): v.strip() for k, v in value.items()}


def _columns(base: ColumnMapping, value: Any) -> dict[Target, tuple[str, ...]]:
    if not isinstance(value, AbcMapping):
        raise _bad("columns 应为对象", "columns must be an object")
    columns = dict(base.columns)
    for key, names in value.items():
        if key not in Target.__members__.values():
            known = ", ".join(Target)
            raise _bad(f"未知字段 {key}（可用：{known}）", f"unknown target {key} (known: {known})")
        columns[Target(key)] = _names(key, names)
    return columns


# No "key_prefix": an order's idempotency key is always `12345:<工单编号>`, else importing a
# file again under another prefix would make every order a second petition.
_SCALARS = ("default_demand_type", "default_region", "encoding", "sheet")
_TUPLES = ("date_formats", "anonymous_names")
_MAPS = ("demand_types", "regions", "categories")


def mapping_from_dict(raw: Any, base: ColumnMapping | None = None) -> ColumnMapping:
    """`base` (the default) with the overrides in `raw`; value tables are merged into the
    default ones, column lists replace the default list of that target."""
    base = base or ColumnMapping()
    if not isinstance(raw, AbcMapping):
        raise _bad("应为 JSON 对象", "must be a JSON object")
    known = {"columns", *_SCALARS, *_TUPLES, *_MAPS}
    if unknown := sorted(set(raw) - known):
        raise _bad(f"未知配置项 {', '.join(unknown)}", f"unknown keys {', '.join(unknown)}")
    changes: dict[str, Any] = {}
    if "columns" in raw:
        changes["columns"] = _columns(base, raw["columns"])
    for key in _SCALARS:
        if key in raw:
            if not isinstance(raw[key], str):
                raise _bad(f"{key} 应为字符串", f"{key} must be a string")
            changes[key] = raw[key].strip()
    for key in _TUPLES:
        if key in raw:
            changes[key] = _names(key, raw[key])
    for key in _MAPS:
        if key in raw:
            changes[key] = {**getattr(base, key), **_str_map(key, raw[key])}
    mapping = replace(base, **changes)
    _check(mapping)
    return mapping


def _check(mapping: ColumnMapping) -> None:
    for target in REQUIRED:
        if not mapping.columns.get(target):
            raise _bad(f"必需字段 {target} 不能取消映射", f"required target {target} is unmapped")
    if not mapping.columns.get(Target.REGION) and not mapping.default_region:
        raise _bad(
            "未映射问题属地列时须设定 default_region", "map a region column or set default_region"
        )
    if mapping.encoding:
        try:
            "".encode(mapping.encoding)
        except LookupError as exc:
            msg = (f"未知编码 {mapping.encoding}", f"unknown encoding {mapping.encoding}")
            raise _bad(*msg) from exc


def mapping_load(source: str | Path | bytes | None) -> ColumnMapping:
    """The default mapping, overridden by a JSON file (a path, or its bytes from an upload)."""
    if source is None or source == b"":
        return ColumnMapping()
    try:
        text = source.decode("utf-8-sig") if isinstance(source, bytes) else _read(Path(source))
        raw = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(f"不是有效的 UTF-8 JSON（{exc}）", f"not valid UTF-8 JSON ({exc})") from exc
    return mapping_from_dict(raw)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        msg = (f"无法读取 {path}（{exc.strerror}）", f"cannot read {path} ({exc.strerror})")
        raise _bad(*msg) from exc
