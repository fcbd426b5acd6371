"""Field encryption (AES-256-GCM with key ids) and HMAC blind indexes for personal data.

Ciphertext format: ``<key id>$<base64(nonce ‖ ciphertext ‖ tag)>``. The key id lets an operator
add a new key in front of XINFANG_DATA_KEYS and re-encrypt at leisure: old rows stay readable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

_NONCE_BYTES = 12


class CryptoError(Exception):
    """Ciphertext that cannot be decrypted: unknown key id, tampering or corruption."""


@dataclass(frozen=True)
class Keyring:
    active_id: str
    keys: dict[str, AESGCM]
    index_key: bytes


def _parse_keys(spec: str) -> tuple[str, dict[str, AESGCM]]:
    keys: dict[str, AESGCM] = {}
    active = ""
    for item in spec.split(","):
        kid, sep, b64 = item.strip().partition(":")
        raw = base64.b64decode(b64) if sep else b""
        if not kid or "$" in kid or len(raw) != 32:
            raise CryptoError("XINFANG_DATA_KEYS must be 'id:base64(32 bytes)[,id:…]'")
        keys[kid] = AESGCM(raw)
        active = active or kid
    return active, keys


@cache
def keyring() -> Keyring:
    active, keys = _parse_keys(settings.XINFANG_DATA_KEYS)
    index_key = base64.b64decode(settings.XINFANG_INDEX_KEY)
    if len(index_key) < 32:
        raise CryptoError("XINFANG_INDEX_KEY must be base64 of at least 32 bytes")
    return Keyring(active, keys, index_key)


def encrypt(plaintext: str, *, context: str) -> str:
    """Encrypt; `context` (e.g. "petitioner.phone") is bound as associated data."""
    ring = keyring()
    nonce = os.urandom(_NONCE_BYTES)
    sealed = ring.keys[ring.active_id].encrypt(nonce, plaintext.encode(), context.encode())
    return f"{ring.active_id}${base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, context: str) -> str:
    kid, sep, b64 = token.partition("$")
    key = keyring().keys.get(kid)
    if not sep or key is None:
        raise CryptoError(f"unknown key id {kid!r}")
    blob = base64.b64decode(b64)
    try:
        plain = key.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], context.encode())
    except Exception as exc:  # cryptography raises InvalidTag without detail
        raise CryptoError("ciphertext failed authentication") from exc
    return plain.decode()


def blind_index(value: str, *, context: str) -> str:
    """Deterministic keyed digest for equality look-ups; reveals nothing without the key."""
    mac = hmac.new(keyring().index_key, f"{context}\x00{value}".encode(), hashlib.sha256)
    return mac.hexdigest()[:40]
