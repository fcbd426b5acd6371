from __future__ import annotations

import base64
import os
from typing import Any

import pytest

from xinfang.core import crypto


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def fresh_keyring(settings: Any) -> Any:
    crypto.keyring.cache_clear()
    yield settings
    crypto.keyring.cache_clear()


def test_round_trip_and_ciphertext_hides_plaintext(fresh_keyring: Any) -> None:
    token = crypto.encrypt("13907311234", context="petitioner.phone")
    assert "13907311234" not in token
    assert token.split("$")[0] == fresh_keyring.XINFANG_DATA_KEYS.split(":")[0]
    assert crypto.decrypt(token, context="petitioner.phone") == "13907311234"


def test_same_value_encrypts_differently_each_time(fresh_keyring: Any) -> None:
    a = crypto.encrypt("张三", context="petitioner.name")
    b = crypto.encrypt("张三", context="petitioner.name")
    assert a != b


def test_ciphertext_moved_to_another_column_does_not_decrypt(fresh_keyring: Any) -> None:
    token = crypto.encrypt("430102199003071234", context="petitioner.id_number")
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt(token, context="petitioner.phone")


def test_tampered_ciphertext_is_rejected(fresh_keyring: Any) -> None:
    kid, b64 = crypto.encrypt("secret", context="x").split("$")
    blob = bytearray(base64.b64decode(b64))
    blob[-1] ^= 1
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt(f"{kid}${base64.b64encode(bytes(blob)).decode()}", context="x")


def test_rotation_keeps_old_rows_readable(fresh_keyring: Any) -> None:
    old_spec = fresh_keyring.XINFANG_DATA_KEYS
    old_token = crypto.encrypt("老数据", context="c")
    fresh_keyring.XINFANG_DATA_KEYS = f"k2:{_key()},{old_spec}"
    crypto.keyring.cache_clear()
    new_token = crypto.encrypt("新数据", context="c")
    assert new_token.startswith("k2$")
    assert crypto.decrypt(old_token, context="c") == "老数据"
    assert crypto.decrypt(new_token, context="c") == "新数据"


def test_unknown_key_id_is_an_error(fresh_keyring: Any) -> None:
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt("nope$AAAA", context="c")


@pytest.mark.parametrize(
    "spec", ["", "k1", "k1:c2hvcnQ=", "a$b:" + base64.b64encode(b"x" * 32).decode()]
)
def test_malformed_key_spec_is_refused(fresh_keyring: Any, spec: str) -> None:
    fresh_keyring.XINFANG_DATA_KEYS = spec
    with pytest.raises(crypto.CryptoError):
        crypto.keyring()


def test_blind_index_is_deterministic_keyed_and_context_bound(fresh_keyring: Any) -> None:
    a = crypto.blind_index("13907311234", context="phone")
    assert a == crypto.blind_index("13907311234", context="phone")
    assert a != crypto.blind_index("13907311235", context="phone")
    assert a != crypto.blind_index("13907311234", context="id")
    fresh_keyring.XINFANG_INDEX_KEY = _key()
    crypto.keyring.cache_clear()
    assert a != crypto.blind_index("13907311234", context="phone")
