"""Reads of the audit chain: its head, the auditors' list, and verification."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from xinfang.audit.chain import GENESIS_HASH, entry_hash
from xinfang.audit.models import AuditEntry
from xinfang.orgs.models import User
from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import user_has_perm

_HASHED = (
    "seq",
    "created_at",
    "actor_id",
    "actor_org_id",
    "action",
    "object_type",
    "object_id",
    "detail",
    "ip",
    "prev_hash",
)


def audit_head() -> tuple[int, str]:
    """(seq, hash) of the newest entry, or (0, the genesis hash) for an empty chain.

    Record this outside the database (publish it, print it in a report) now and then: it is
    the anchor that lets `verify_audit --expect-head` notice entries removed from the end.
    """
    head = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    return head if head is not None else (0, GENESIS_HASH)


def audit_list(
    *,
    user: object,
    action: str | None = None,
    actor: User | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    """Entries an auditor may read, newest first: all of them with AUDIT_VIEW, else none."""
    if not user_has_perm(user=user, perm=Perm.AUDIT_VIEW):
        return AuditEntry.objects.none()
    entries = AuditEntry.objects.select_related("actor", "actor_org").order_by("-seq")
    if action:
        entries = entries.filter(action=action)
    if actor is not None:
        entries = entries.filter(actor=actor)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id not in (None, ""):
        entries = entries.filter(object_id=str(object_id))
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    if until is not None:
        entries = entries.filter(created_at__lt=until)
    return entries


@dataclass(frozen=True)
class ChainReport:
    """Outcome of a verification: the last good entry, and the first break if there is one."""

    count: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def audit_verify(
    *,
    from_seq: int = 1,
    expect_head: tuple[int, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    progress_every: int = 100_000,
    chunk_size: int = 2000,
) -> ChainReport:
    """Recompute every hash and link from `from_seq` on, streaming in seq order.

    Starting past 1 trusts the stored hash of entry `from_seq - 1` (resume after an earlier
    full run). `expect_head` is a (seq, hash) recorded elsewhere earlier: the chain must still
    contain that entry unchanged. `progress(count, seq)` is called every `progress_every` rows.
    """
    prev_hash = _hash_before(from_seq)
    if prev_hash is None:
        return ChainReport(0, 0, "", from_seq - 1, f"gap in seq: entry {from_seq - 1} is missing")
    expected, count = from_seq, 0
    rows = AuditEntry.objects.filter(seq__gte=from_seq).order_by("seq")
    for values in rows.values_list(*_HASHED, "hash").iterator(chunk_size=chunk_size):
        row = dict(zip(_HASHED, values[:-1], strict=True))
        stored = values[-1]
        reason = _problem(row, stored, expected=expected, prev_hash=prev_hash, head=expect_head)
        if reason:
            return ChainReport(count, expected - 1, prev_hash, expected, reason)
        count, expected, prev_hash = count + 1, expected + 1, stored
        if progress is not None and count % progress_every == 0:
            progress(count, expected - 1)
    if expect_head is not None and expected - 1 < expect_head[0]:
        reason = f"chain ends at seq={expected - 1}, before the recorded head seq={expect_head[0]}"
        return ChainReport(count, expected - 1, prev_hash, expected, reason)
    return ChainReport(count, expected - 1, prev_hash)


def _hash_before(seq: int) -> str | None:
    """The hash entry `seq` must link to; None if that earlier entry is missing."""
    if seq <= 1:
        return GENESIS_HASH
    return AuditEntry.objects.filter(seq=seq - 1).values_list("hash", flat=True).first()


def _problem(
    row: dict[str, Any],
    stored: str,
    *,
    expected: int,
    prev_hash: str,
    head: tuple[int, str] | None,
) -> str:
    """Why this row breaks the chain, or "" when it is sound."""
    if row["seq"] != expected:
        return f"gap in seq: entry {expected} is missing (the next one is {row['seq']})"
    if row["prev_hash"] != prev_hash:
        return f"broken link: prev_hash is not the hash of entry {expected - 1}"
    try:
        recomputed = entry_hash(**row)
    except ValueError:  # a value no write of ours stores, such as an address edited into junk
        recomputed = ""
    if recomputed != stored:
        return "hash mismatch: the entry was changed after it was written"
    if head is not None and head[0] == expected and head[1] != stored:
        return f"entry {expected} differs from the recorded head hash {head[1]}"
    return ""
