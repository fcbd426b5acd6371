from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from xinfang.handling.tests.world import World, build_world
from xinfang.notify.tests.fakes import RecordingBackend

FAKE = "xinfang.notify.tests.fakes.RecordingBackend"


@pytest.fixture
def world(db: Any) -> World:
    w = build_world()
    # Staff are told by e-mail: give the people of the world addresses.
    for name in ("registrar", "handler", "leader", "supervisor", "county_leader"):
        user = getattr(w, name)
        user.email = f"{name}@gov.example"
        user.save(update_fields=["email"])
    return w


@pytest.fixture
def sms_dir(settings: Any, tmp_path: Path) -> Path:
    settings.XINFANG_SMS_BACKEND = "xinfang.citizens.sms.FileSmsBackend"
    settings.XINFANG_SMS_FILE_DIR = tmp_path / "sms"
    return tmp_path / "sms"


@pytest.fixture
def fake_wechat(settings: Any) -> Iterator[type[RecordingBackend]]:
    settings.XINFANG_NOTIFY_BACKENDS = {**settings.XINFANG_NOTIFY_BACKENDS, "wechat": FAKE}
    RecordingBackend.reset()
    yield RecordingBackend
    RecordingBackend.reset()
