"""Bearer credentials handed to other systems (Open311 API keys, grid tokens).

Only a digest is stored. The credentials are long random strings, not passwords, so one fast
SHA-256 is enough: there is nothing to guess from it, and look-up is a single indexed equality.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

CREDENTIAL_BYTES = 32


@dataclass(frozen=True)
class NewCredential:
    raw: str  # shown to the issuer once
    digest: str  # what is stored and looked up
    hint: str  # the first characters, so staff can tell keys apart


def credential_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def credential_new(*, prefix: str = "", hint_length: int = 8, raw: str = "") -> NewCredential:
    """A random credential, or `raw` when the value was chosen elsewhere (the demo's published
    ones): stored the same way either way, so nothing downstream tells them apart."""
    raw = raw or prefix + secrets.token_urlsafe(CREDENTIAL_BYTES)
    return NewCredential(raw=raw, digest=credential_digest(raw), hint=raw[:hint_length])
