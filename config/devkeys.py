"""Development keys: generated once into ./var/ so a fresh checkout runs without set-up.

Production sets XINFANG_DATA_KEYS and XINFANG_INDEX_KEY in the environment (and
XINFANG_REQUIRE_KEYS=true so a missing key is an error, never a silently generated one).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path


def load_or_create(path: Path) -> dict[str, str]:
    if path.exists():
        data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        return data
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "XINFANG_DATA_KEYS": "dev1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "XINFANG_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    # Written with owner-only permissions: these keys decrypt the development database.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    return data
