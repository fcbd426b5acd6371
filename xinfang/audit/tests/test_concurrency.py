"""Concurrent writers on PostgreSQL: every append gets its own position and the chain holds.

The writers run in threads, so each has its own connection and really commits its own
transactions; the test's thread stays in pytest-django's rolled-back transaction and only reads.
`django_db(transaction=True)` would also let them commit, but it empties every table afterwards,
including the reference data conftest.py loads once per session; so instead a fixture deletes
just the entries the writers committed, from a connection of its own.
SQLite is skipped: there the IMMEDIATE transactions set in settings make writers queue on the
database's single write lock.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from xinfang.audit.models import AuditAction, AuditEntry
from xinfang.audit.services import audit_record

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    ),
    pytest.mark.django_db,
]

THREADS = 8
PER_THREAD = 25


def _in_threads(target: Callable[[int], None], n: int) -> list[BaseException]:
    """Run target(0..n-1) in n threads started together, each on its own connection."""
    start = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait()
            target(i)
        except BaseException as exc:  # reported by the caller's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.fixture
def committed_entries_removed() -> Iterator[None]:
    assert not AuditEntry.objects.exists(), "an earlier test left audit entries behind"
    yield
    assert _in_threads(lambda _: AuditEntry.objects.all().delete(), 1) == []


def _writer(worker: int) -> None:
    for i in range(PER_THREAD):
        with transaction.atomic():
            audit_record(
                action=AuditAction.CASE_VIEW,
                object_type="case",
                object_id=f"{worker}-{i}",
                detail={"worker": worker, "i": i},
            )


@pytest.mark.usefixtures("committed_entries_removed")
def test_concurrent_appends_form_one_unbroken_chain() -> None:
    assert _in_threads(_writer, THREADS) == []
    total = THREADS * PER_THREAD
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, total + 1))
    assert AuditEntry.objects.values("prev_hash").distinct().count() == total
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().startswith(f"OK {total} entries, head seq={total} ")
