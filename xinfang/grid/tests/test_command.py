"""Connecting a grid system from the command line."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from xinfang.grid.models import GridSystem
from xinfang.grid.tests.helpers import TASKS

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("grid_system", *args, stdout=out)
    return out.getvalue()


def token_of(output: str) -> str:
    found = re.search(r"^token: (\S+)$", output, re.MULTILINE)
    assert found, output
    return found.group(1)


def test_create_rotate_disable(client: Client, world: Any) -> None:
    token = token_of(run("create", "furong", "芙蓉区网格化平台", "430102"))
    system = GridSystem.objects.get(code="furong")
    assert token not in (system.token_hash, system.token_hint)  # only a hash is stored
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(TASKS, headers=auth).status_code == 200
    rotated = run("rotate", "furong", "--signed")
    assert "signing secret: " in rotated
    assert client.get(TASKS, headers=auth).status_code == 401
    run("disable", "furong")
    fresh = {"Authorization": f"Bearer {token_of(rotated)}"}
    assert client.get(TASKS, headers=fresh).status_code == 401


@pytest.mark.parametrize(
    "args",
    [
        ("create", "x", "名称", "999999"),
        ("create", "x"),
        ("rotate", "nope"),
    ],
)
def test_bad_input_exits_with_2(world: Any, args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError) as failed:
        run(*args)
    assert failed.value.returncode == 2


def test_existing_code_is_refused(world: Any) -> None:
    run("create", "furong", "芙蓉区网格化平台", "430102")
    with pytest.raises(CommandError) as failed:
        run("create", "furong", "芙蓉区网格化平台", "430102")
    assert failed.value.returncode == 2
