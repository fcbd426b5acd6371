from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinfang.core import validators as v


@pytest.mark.parametrize(
    "number",
    ["11010519491231002X", "440524188001010014", "430102199003071234"],
)
def test_known_valid_id_numbers(number: str) -> None:
    assert v.check_id_number(number) is None


@given(
    region=st.sampled_from(["430102", "110105", "440305"]),
    birth=st.dates(
        min_value=__import__("datetime").date(1900, 1, 1),
        max_value=__import__("datetime").date(2025, 12, 31),
    ),
    seq=st.integers(min_value=0, max_value=999),
)
def test_generated_numbers_pass_and_any_changed_digit_fails(region: str, birth, seq: int) -> None:
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    number = first17 + v.id_check_digit(first17)
    assert v.check_id_number(number) is None
    # GB 11643's mod-11 check catches every single-digit substitution in the sequence part.
    for pos in (14, 15, 16):
        digit = int(number[pos])
        changed = number[:pos] + str((digit + 1) % 10) + number[pos + 1 :]
        assert v.check_id_number(changed) == v.ID_CHECKSUM


@pytest.mark.parametrize(
    ("number", "msg"),
    [
        ("43010219900307123", v.ID_FORMAT),
        ("4301021990030712345", v.ID_FORMAT),
        ("43010219900307123Y", v.ID_FORMAT),
        ("430102199002301234", v.ID_BIRTHDATE),
        ("430102199003071235", v.ID_CHECKSUM),
    ],
)
def test_invalid_id_numbers(number: str, msg: object) -> None:
    assert v.check_id_number(number) == msg


@pytest.mark.parametrize("phone", ["13907311234", "19912345678", "0731-84567890", "073184567890"])
def test_valid_phones(phone: str) -> None:
    assert v.check_phone(v.normalize_phone(phone)) is None


@pytest.mark.parametrize("phone", ["12345", "12907311234", "1390731123", "abc", "+1 555 0100"])
def test_invalid_phones(phone: str) -> None:
    assert v.check_phone(v.normalize_phone(phone)) == v.PHONE_INVALID


def test_normalize_phone_strips_country_code_and_spaces() -> None:
    assert v.normalize_phone("+86 139 0731 1234") == "13907311234"


def test_masks_hide_the_middle() -> None:
    assert v.mask_phone("13907311234") == "139****1234"
    assert v.mask_id_number("430102199003071234") == "4301**********1234"
    assert v.mask_name("欧阳修") == "欧**"
    assert v.mask_address("湖南省长沙市芙蓉区五一大道1号") == "湖南省长沙市****"
