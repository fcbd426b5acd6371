"""Two workers deliver the same outbox at the same time: every notice goes out once.

Each worker is a thread with its own database connection, so the rows must be committed:
`transaction=True`, with the reference data the flush removes put back
(xinfang/core/tests/browser.py). On PostgreSQL the claims run under FOR UPDATE SKIP LOCKED,
on SQLite as conditional UPDATEs. The test runs on PostgreSQL only: the tests' in-memory
SQLite database (shared cache) answers a second writer with "table is locked" instead of
waiting as the WAL file database does; the SQLite claim is covered by test_delivery.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest
from django.db import connection

from xinfang.cases.models import Channel
from xinfang.cases.tests.factories import petition_payload
from xinfang.core.tests.browser import (
    reference_data,  # noqa: F401
    restore_reference_data,  # noqa: F401
)
from xinfang.intake.services import petition_submit
from xinfang.notify.backends import Outgoing
from xinfang.notify.contacts import Contact
from xinfang.notify.delivery import DeliveryResult, outbox_deliver
from xinfang.notify.models import Medium, Notification
from xinfang.orgs.tests.factories import make_bureau

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

ROWS = 40
SLOW = "xinfang.notify.tests.test_concurrency.SlowBackend"


class SlowBackend:
    """Takes a moment per message, so the two workers' batches overlap in time."""

    sent: list[str] = []  # shared by both workers on purpose
    lock = threading.Lock()

    def send(self, message: Outgoing) -> None:
        time.sleep(0.002)
        with SlowBackend.lock:
            SlowBackend.sent.append(message.key)


def _outbox() -> None:
    make_bureau("430102")
    data = petition_payload(anonymous=True)
    case = petition_submit(
        channel=Channel.WECHAT, data=data, contacts=[Contact(Medium.WECHAT, "acc/openid")]
    ).case
    template = Notification.objects.get(case=case)
    copies = []
    for n in range(ROWS - 1):
        template.pk, template.key = None, f"copy-{n}"
        copies.append(
            Notification(
                **{
                    f.attname: getattr(template, f.attname)
                    for f in Notification._meta.concrete_fields
                }
            )
        )
    Notification.objects.bulk_create(copies)


def test_two_workers_never_send_a_notice_twice(settings: Any) -> None:
    settings.XINFANG_NOTIFY_BACKENDS = {**settings.XINFANG_NOTIFY_BACKENDS, "wechat": SLOW}
    SlowBackend.sent.clear()
    _outbox()
    start = threading.Barrier(2)
    results: list[DeliveryResult | BaseException | None] = [None, None]

    def worker(i: int) -> None:
        try:
            start.wait()
            results[i] = outbox_deliver()
        except BaseException as exc:  # reported by the test's own thread
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    done = [r for r in results if isinstance(r, DeliveryResult)]
    assert len(done) == 2, results
    assert sum(r.sent for r in done) == ROWS
    assert Counter(SlowBackend.sent).most_common(1)[0][1] == 1  # no key twice
    assert len(SlowBackend.sent) == ROWS
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
