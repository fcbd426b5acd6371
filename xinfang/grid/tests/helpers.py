"""A grid system's side of the wire: JSON requests with its bearer token (and signature)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from django.test import Client

from xinfang.grid.auth import signature_make
from xinfang.grid.services import IssuedCredentials
from xinfang.intake.tests.test_api import PNG

EVENTS = "/api/grid/v1/events"
TASKS = "/api/grid/v1/tasks"
PNG_B64 = base64.b64encode(PNG).decode()


def event(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "event_id": "EV-2026-0001",
        "grid_code": "430102001-01",
        "reporter": {"id": "W001", "name": "张网格", "phone": "13807310001"},
        "place": {
            "region_code": "430102",
            "address": "五一大道 100 号小区门口",
            "latitude": 28.195833,
            "longitude": 112.982277,
        },
        "category": "市容环境",
        "description": "小区门口垃圾堆放三天无人清运，气味很大，居民反映强烈。",
        "occurred_at": "2026-11-27T09:30:00+08:00",
        "photos": [
            {"url": "https://grid.example.org/photos/1.jpg"},
            {"filename": "现场.png", "content_base64": PNG_B64},
        ],
    }
    data.update(overrides)
    return data


def call(
    client: Client,
    creds: IssuedCredentials | None,
    method: str,
    path: str,
    body: Any = None,
    **headers: str,
) -> Any:
    raw = b"" if body is None else json.dumps(body).encode()
    if creds is not None:
        headers.setdefault("Authorization", f"Bearer {creds.token}")
        if creds.signing_secret:
            ts = str(int(time.time()))
            headers.setdefault("X-Grid-Timestamp", ts)
            headers.setdefault(
                "X-Grid-Signature",
                signature_make(
                    secret=creds.signing_secret, timestamp=ts, method=method, path=path, body=raw
                ),
            )
    return client.generic(method, path, raw, content_type="application/json", headers=headers)
