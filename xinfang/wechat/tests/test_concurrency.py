"""WeChat redelivers a slow message while the first delivery is still being handled: the
copies arrive at once, on separate connections, and still make one petition."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from django.db import connection
from django.test import Client

from xinfang.cases.models import Case
from xinfang.core.tests.browser import (  # noqa: F401  # fixtures, used by name
    reference_data,
    restore_reference_data,
)
from xinfang.wechat.tests.helpers import Follower, make_account, reply_text
from xinfang.wechat.tests.test_conversation import fill_until_images

pytestmark = pytest.mark.django_db(transaction=True)
COPIES = 3


@pytest.fixture(autouse=True)
def browser_available() -> None:
    """browser.py's check is for Chromium; nothing here needs it."""


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite's in-memory test database (shared cache) fails concurrent writers with "
    "'table is locked' instead of waiting; the WAL file in real use waits. PostgreSQL runs it.",
)
def test_simultaneous_copies_of_the_confirm_make_one_petition() -> None:
    make_account()
    follower = Follower(Client())
    fill_until_images(follower)
    follower.say("完成")
    confirm = follower.delivery("text", Content="确认")
    barrier = threading.Barrier(COPIES)
    replies: list[str] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            copy = dataclasses.replace(confirm, client=Client())
            barrier.wait()
            replies.append(reply_text(copy.post(), encrypted=False))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(COPIES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    case = Case.objects.get()
    assert len(replies) == COPIES
    assert all(case.item_number in reply for reply in replies)
