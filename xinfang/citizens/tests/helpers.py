"""Shared by the citizens' tests: reading the code the file SMS back-end wrote."""

from __future__ import annotations

import json
import re
from pathlib import Path

from xinfang.core import crypto

FILE_BACKEND = "xinfang.citizens.sms.FileSmsBackend"


def last_code(folder: Path, phone: str) -> str:
    """The code in the latest message to `phone` (matched by blind index, as it is written)."""
    index = crypto.blind_index(phone, context="phone")
    lines = (folder / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    mine = [json.loads(line) for line in lines if json.loads(line)["to_index"] == index]
    assert mine, f"no message to {phone[:3]}…"
    found = re.search(r"\b(\d{6})\b", mine[-1]["message"])
    assert found, mine[-1]["message"]
    return found.group(1)


def sign_in(client: object, phone: str, outbox: Path) -> None:
    """Through the real pages: ask for a code, read it from the outbox, type it."""
    sent = client.post("/me/login/", {"phone": phone, "action": "send"})  # type: ignore[attr-defined]
    assert sent.status_code == 200, sent.content.decode()
    code = last_code(outbox, phone)
    done = client.post(  # type: ignore[attr-defined]
        "/me/login/", {"phone": phone, "code": code, "action": "verify"}
    )
    assert done.status_code == 302, done.content.decode()
