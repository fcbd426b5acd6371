"""GeoReport errors: a list of (code, description) answered with HTTP 400, 403 or 404.

The standard wants 404 for a resource that does not exist, 403 for a missing or wrong api_key
and 400 for everything else; the body may carry several errors, each naming the parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from xinfang.core.errors import Msg

API_KEY_MISSING = Msg("缺少 api_key，无法提交。", "api_key is missing -- can't create a request.")
API_KEY_INVALID = Msg(
    "api_key 无效或已停用，无法提交。", "Invalid api_key received -- can't create a request."
)
JURISDICTION_UNKNOWN = Msg("未找到该 jurisdiction_id。", "jurisdiction_id not found.")
SERVICE_CODE_MISSING = Msg("缺少 service_code。", "service_code was not provided.")
SERVICE_CODE_UNKNOWN = Msg("未找到该 service_code。", "service_code not found.")
REQUEST_UNKNOWN = Msg("未找到该 service_request_id。", "service_request_id not found.")
TOKEN_UNKNOWN = Msg("未找到该令牌。", "token not found.")
FORMAT_UNKNOWN = Msg("不支持的格式，请使用 .xml 或 .json。", "Unknown format; use .xml or .json.")
LOCATION_MISSING = Msg(
    "请提供位置：lat 和 long、address_string 或 address_id。",
    "A location is required: lat and long, address_string or address_id.",
)
LAT_LONG_PAIR = Msg("lat 和 long 须同时提供。", "lat and long must be sent together.")
LAT_LONG_RANGE = Msg("经纬度须为 WGS84 十进制度数。", "lat/long must be WGS84 decimal degrees.")
REGION_UNRESOLVED = Msg(
    "无法确定问题属地：请在 address_string 中写明县（市、区），或提供 attribute[region]。",
    "The place could not be determined: name the county in address_string "
    "or send attribute[region].",
)
REGION_OUTSIDE_KEY = Msg(
    "问题属地不在本接口密钥的服务范围内。", "The place is outside the area of this api_key."
)
DESCRIPTION_REQUIRED = Msg("请填写 description（诉求内容）。", "description is required.")
DESCRIPTION_TOO_LONG = Msg(
    "description 不能超过 {limit} 个字符。", "description may not exceed {limit} characters."
)
ATTRIBUTE_UNKNOWN = Msg("未定义的属性。", "Unknown attribute for this service.")
ATTRIBUTE_CHOICE = Msg("取值不在可选范围内。", "Not one of the listed values.")
ATTRIBUTE_SINGLE = Msg("该属性只能有一个值。", "This attribute takes one value.")
EMAIL_INVALID = Msg("电子邮件地址格式不正确。", "Not a valid e-mail address.")
URL_INVALID = Msg("须为 http 或 https 链接。", "Must be an http or https URL.")
TOO_LONG = Msg("内容过长。", "Too long.")
DATE_INVALID = Msg(
    "须为带时区的 W3C 日期时间，如 2026-01-01T00:00:00Z。",
    "Must be a W3C datetime with a time zone, e.g. 2026-01-01T00:00:00Z.",
)
DATE_RANGE = Msg(
    "start_date 须早于 end_date，且跨度不超过 {days} 天。",
    "start_date must precede end_date, at most {days} days apart.",
)
STATUS_INVALID = Msg("status 只能是 open 或 closed。", "status must be open or closed.")
IDEMPOTENCY_KEY_INVALID = Msg(
    "Idempotency-Key 须为 1–128 个可打印 ASCII 字符。",
    "Idempotency-Key must be 1–128 printable ASCII characters.",
)
BUSY = Msg("系统繁忙，请稍后用同一请求重试。", "Service busy; retry the same request shortly.")


@dataclass(frozen=True)
class SpecError:
    """One entry of the errors list: a numeric code, and the parameter it is about, if any."""

    code: int
    message: Msg
    param: str = ""

    def description(self) -> str:
        text = self.message.localized()
        return f"{self.param}: {text}" if self.param else text


class Open311Error(Exception):
    """A request GeoReport refuses; `status` is the HTTP status, `errors` the body."""

    def __init__(self, status: int, errors: Sequence[SpecError]) -> None:
        super().__init__("; ".join(e.message.en for e in errors))
        self.status = status
        self.errors = list(errors)

    @classmethod
    def one(
        cls, status: int, message: Msg, param: str = "", code: int | None = None
    ) -> Open311Error:
        return cls(status, [SpecError(code or status, message, param)])

    @classmethod
    def fields(cls, errors: Mapping[str, Sequence[Msg]]) -> Open311Error:
        """400 with one entry per message, each naming its parameter."""
        return cls(400, [SpecError(400, m, param) for param, msgs in errors.items() for m in msgs])
