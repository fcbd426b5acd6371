"""The chain as written by audit_record and as checked by verify_audit, on the real database."""

from __future__ import annotations

import io
import itertools
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from xinfang.audit.chain import GENESIS_HASH
from xinfang.audit.models import AuditAction, AuditEntry
from xinfang.audit.selectors import audit_head, audit_verify
from xinfang.audit.services import audit_record
from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_bureau, make_staff

pytestmark = pytest.mark.django_db

TABLE = AuditEntry._meta.db_table


def verify(*args: str) -> str:
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def verify_fails(*args: str) -> CommandError:
    with pytest.raises(CommandError) as failure:
        verify(*args)
    return failure.value


def build_chain(n: int = 5) -> list[AuditEntry]:
    bureau = make_bureau("430100")
    user = make_staff(org=bureau, role=Role.UNIT_LEADER)
    return [
        audit_record(
            action=AuditAction.IDENTITY_REVEAL,
            actor=user,
            actor_org=bureau,
            object_type="case",
            object_id=1000 + i,
            detail={"fields": ["name", "phone"], "reason": f"回访核实 {i}", "n": i},
            ip="10.0.0.7",
        )
        for i in range(n)
    ]


def raw(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_chain_links_from_genesis_and_verifies() -> None:
    entries = build_chain(5)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert audit_head() == (5, entries[-1].hash)
    assert verify() == f"OK 5 entries, head seq=5 hash={entries[-1].hash}\n"


def test_empty_chain_verifies() -> None:
    assert audit_head() == (0, GENESIS_HASH)
    assert verify() == f"OK 0 entries, head seq=0 hash={GENESIS_HASH}\n"


def test_entry_reads_back_as_written() -> None:
    (written,) = build_chain(1)
    stored = AuditEntry.objects.get(pk=written.pk)
    assert stored.detail == {"fields": ["name", "phone"], "reason": "回访核实 0", "n": 0}
    assert (stored.object_type, stored.object_id, stored.ip) == ("case", "1000", "10.0.0.7")
    assert stored.created_at == written.created_at
    assert stored.hash == written.hash


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
        ("::1.2.3.4", "::102:304"),  # PostgreSQL prints this one back as ::1.2.3.4
        (" 192.168.0.1 ", "192.168.0.1"),
    ],
)
def test_addresses_in_any_spelling_verify(given: str, stored: str) -> None:
    entry = audit_record(action=AuditAction.AUTH_LOGIN_FAILED, ip=given, detail={"u": "x"})
    assert entry.ip == stored
    assert audit_verify().ok


def test_editing_a_row_is_found_at_that_row() -> None:
    build_chain(5)
    raw(f"UPDATE {TABLE} SET detail = %s WHERE seq = 3", ['{"fields": [], "reason": "x"}'])  # noqa: S608
    failure = verify_fails()
    assert failure.returncode == 1
    assert "seq=3" in str(failure)
    assert "hash mismatch" in str(failure)


def test_rewriting_a_rows_hash_too_breaks_the_next_link() -> None:
    build_chain(5)
    raw(f"UPDATE {TABLE} SET object_id = %s, hash = %s WHERE seq = 2", ["9", "f" * 64])  # noqa: S608
    report = audit_verify()
    assert (report.broken_seq, report.count) == (2, 1)
    assert "hash mismatch" in report.reason
    raw(f"UPDATE {TABLE} SET hash = %s WHERE seq = 2", ["f" * 64])  # noqa: S608
    # Even a hash recomputed for the edited row would leave entry 3 pointing at the old one.
    report = audit_verify(from_seq=3)
    assert (report.broken_seq, report.reason.split(":")[0]) == (3, "broken link")


def test_deleting_a_middle_row_is_a_gap() -> None:
    build_chain(5)
    raw(f"DELETE FROM {TABLE} WHERE seq = 3", [])  # noqa: S608
    failure = verify_fails()
    assert failure.returncode == 1
    assert "seq=3" in str(failure)
    assert "gap in seq" in str(failure)


def test_swapping_two_rows_is_found() -> None:
    build_chain(4)
    raw(f"UPDATE {TABLE} SET seq = seq + 100 WHERE seq IN (2, 3)", [])  # noqa: S608
    raw(f"UPDATE {TABLE} SET seq = 105 - seq WHERE seq IN (102, 103)", [])  # noqa: S608
    report = audit_verify()
    assert report.broken_seq == 2
    assert "broken link" in report.reason


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's inet refuses junk")
def test_a_value_no_write_stores_is_reported_not_raised() -> None:
    build_chain(3)
    raw(f"UPDATE {TABLE} SET ip = %s WHERE seq = 2", ["not-an-address"])  # noqa: S608
    report = audit_verify()
    assert (report.broken_seq, report.reason.split(":")[0]) == (2, "hash mismatch")


def test_truncated_tail_needs_the_recorded_head() -> None:
    build_chain(5)
    head_seq, head_hash = audit_head()
    assert "OK 5 entries" in verify("--expect-head", f"{head_seq}:{head_hash.upper()}")
    raw(f"DELETE FROM {TABLE} WHERE seq >= 4", [])  # noqa: S608
    assert "OK 3 entries" in verify()  # the chain alone cannot tell
    failure = verify_fails("--expect-head", f"{head_seq}:{head_hash}")
    assert failure.returncode == 1
    assert "before the recorded head seq=5" in str(failure)


def test_a_rewritten_head_does_not_match_the_recorded_one() -> None:
    entries = build_chain(3)
    report = audit_verify(expect_head=(2, "0" * 64))
    assert (report.broken_seq, report.count) == (2, 1)
    assert audit_verify(expect_head=(2, entries[1].hash)).ok


def test_from_seq_resumes_on_the_stored_hash_before_it() -> None:
    build_chain(5)
    assert verify("--from-seq", "4").startswith("OK 2 entries, head seq=5")
    raw(f"DELETE FROM {TABLE} WHERE seq = 3", [])  # noqa: S608
    assert "entry 3 is missing" in str(verify_fails("--from-seq", "4"))


def test_progress_is_reported_for_long_chains() -> None:
    build_chain(5)
    seen: list[tuple[int, int]] = []
    report = audit_verify(progress=lambda count, seq: seen.append((count, seq)), progress_every=2)
    assert report.ok
    assert seen == [(2, 2), (4, 4)]


@pytest.mark.parametrize(
    "args",
    [
        ["--from-seq", "0"],
        ["--from-seq", "abc"],
        ["--from-seq", "9" * 30],
        ["--expect-head", "5"],
        ["--expect-head", "5:abc"],
        ["--from-seq", "3", "--expect-head", f"2:{'a' * 64}"],
    ],
)
def test_bad_arguments_exit_2(args: list[str]) -> None:
    assert verify_fails(*args).returncode == 2


def _transition_failing_after_its_audit_entry() -> None:
    with transaction.atomic():
        audit_record(action=AuditAction.CASE_TRANSITION, object_type="case", object_id=1)
        raise RuntimeError("the transition failed after its audit entry was written")


def test_a_rolled_back_action_leaves_no_entry_and_the_chain_holds() -> None:
    first = audit_record(action=AuditAction.CASE_VIEW, object_type="case", object_id=1)
    with pytest.raises(RuntimeError):
        _transition_failing_after_its_audit_entry()
    assert list(AuditEntry.objects.values_list("seq", flat=True)) == [1]
    second = audit_record(action=AuditAction.CASE_VIEW, object_type="case", object_id=2)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert verify() == f"OK 2 entries, head seq=2 hash={second.hash}\n"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"action": "case.deleted"}, ValueError),
        ({"action": AuditAction.CASE_VIEW, "detail": {"score": 0.5}}, TypeError),
        ({"action": AuditAction.CASE_VIEW, "detail": {1: "x"}}, TypeError),
        ({"action": AuditAction.CASE_VIEW, "detail": {"x": "a\x00b"}}, ValueError),
        ({"action": AuditAction.CASE_VIEW, "ip": "10.0.0.300"}, ValueError),
        ({"action": AuditAction.CASE_VIEW, "object_id": "9" * 65}, ValueError),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(kwargs: Any, error: type) -> None:
    with pytest.raises(error):
        audit_record(**kwargs)
    assert not AuditEntry.objects.exists()
