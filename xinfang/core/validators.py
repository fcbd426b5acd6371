"""Checks for Chinese identity and contact data, returning a bilingual message or None."""

from __future__ import annotations

import datetime as dt
import re

from xinfang.core.errors import Msg

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_ID18 = re.compile(r"^\d{17}[\dX]$")
# GB 11643-1999 check digit: weights 2^(17-i) mod 11, remainder mapped through this table.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

PHONE_INVALID = Msg(
    "请填写有效的手机号（11位）或固定电话（区号-号码）。",
    "Enter a valid mobile number (11 digits) or landline (area code-number).",
)
ID_FORMAT = Msg("身份证号应为18位，最后一位可为X。", "The ID number must be 18 characters.")
ID_CHECKSUM = Msg("身份证号校验位不正确，请核对。", "The ID number's check digit is wrong.")
ID_BIRTHDATE = Msg("身份证号中的出生日期无效。", "The ID number contains an invalid birth date.")


def normalize_phone(raw: str) -> str:
    return re.sub(r"[\s()]", "", raw).removeprefix("+86").removeprefix("0086")


def is_mobile(phone: str) -> bool:
    """A mainland mobile number (normalised): one an SMS can reach."""
    return bool(_MOBILE.match(phone))


def check_phone(phone: str) -> Msg | None:
    if _MOBILE.match(phone) or _LANDLINE.match(phone):
        return None
    return PHONE_INVALID


def normalize_id_number(raw: str) -> str:
    return raw.strip().upper()


def id_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def check_id_number(id_number: str) -> Msg | None:
    if not _ID18.match(id_number):
        return ID_FORMAT
    try:
        dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return ID_BIRTHDATE
    if id_check_digit(id_number[:17]) != id_number[17]:
        return ID_CHECKSUM
    return None


def mask_phone(phone: str) -> str:
    if len(phone) >= 7:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * len(phone)


def mask_id_number(id_number: str) -> str:
    if len(id_number) < 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def mask_name(name: str) -> str:
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_address(address: str) -> str:
    return address[:6] + "****" if len(address) > 6 else "****"
