"""Appending to the audit chain (see chain.py for why it is tamper-evident)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from xinfang.audit.chain import entry_hash
from xinfang.audit.models import AuditAction, AuditEntry
from xinfang.audit.selectors import audit_head
from xinfang.orgs.models import Org, User

# One PostgreSQL advisory lock key for the whole chain ("xinfaudt" in ASCII). Only the chain's
# appends take it, so it cannot collide with row locks; any other advisory lock in the project
# must use a different key.
CHAIN_LOCK_KEY = 0x78696E6661756474

_MAX_KEY_LENGTH = 64  # object_type and object_id columns


def audit_record(
    *,
    action: str,
    actor: User | None = None,
    actor_org: Org | None = None,
    object_type: str = "",
    object_id: str | int = "",
    detail: Mapping[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Append one entry to the audit chain, inside the caller's transaction.

    The entry commits or rolls back together with the act it records. Appends are serialised
    so no two entries share a position: on PostgreSQL by a transaction-scoped advisory lock,
    on SQLite by the IMMEDIATE transactions set in settings (the write lock is taken at BEGIN);
    the unique `seq` is the backstop everywhere. The lock is held until the caller's
    transaction ends, so call this as the transaction's last write. Bad arguments are
    programming errors and raise ValueError/TypeError before anything is written.
    """
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}: add it to AuditAction")
    entry = AuditEntry(
        actor=actor,
        actor_org=actor_org,
        action=action,
        object_type=_short(object_type, "object_type"),
        object_id=_short(str(object_id), "object_id"),
        detail=_plain(dict(detail or {}), "detail"),
        ip=_clean_ip(ip),
    )
    with transaction.atomic():
        _lock_chain()
        head_seq, head_hash = audit_head()
        entry.seq = head_seq + 1
        entry.prev_hash = head_hash
        entry.created_at = timezone.now()
        entry.hash = entry_hash(
            seq=entry.seq,
            created_at=entry.created_at,
            actor_id=entry.actor_id,
            actor_org_id=entry.actor_org_id,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            detail=entry.detail,
            ip=entry.ip,
            prev_hash=entry.prev_hash,
        )
        entry.save(force_insert=True)
    return entry


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def _short(value: str, name: str) -> str:
    if len(value) > _MAX_KEY_LENGTH:
        raise ValueError(f"audit {name} longer than {_MAX_KEY_LENGTH} characters")
    return value


def _clean_ip(ip: str | None) -> str | None:
    """The address as the database will store it (Django's IPv6 form), or ValueError."""
    if not ip:
        return None
    address = ipaddress.ip_address(ip.strip())
    if address.version == 4:
        return str(address)
    return str(clean_ipv6_address(str(address)))


def _plain(value: Any, path: str) -> Any:
    """A copy of `value` made of JSON types that every database returns unchanged.

    Floats are refused: PostgreSQL's jsonb prints 1e20 back as an integer, which would make an
    honest entry fail verification. Pass measurements as strings or integers.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        if "\x00" in value:  # jsonb refuses NUL characters
            raise ValueError(f"audit {path} contains a NUL character")
        return value
    if isinstance(value, list | tuple):
        return [_plain(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        if not all(isinstance(key, str) and "\x00" not in key for key in value):
            raise TypeError(f"audit {path} keys must be strings without NUL characters")
        return {key: _plain(item, f"{path}.{key}") for key, item in value.items()}
    raise TypeError(f"audit {path} holds a {type(value).__name__}; use str, int, bool or None")


def credential_audit(
    *,
    action: AuditAction,
    actor: User | None,
    object_type: str,
    object_id: int,
    name: str,
    hint: str,
    **detail: Any,
) -> AuditEntry:
    """Issuing, rotating or revoking a machine credential (an API key, a grid token), audited
    like any staff act; a management command records no actor, and the entry says so."""
    return audit_record(
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        detail={"code": name, "hint": hint, "via": "staff" if actor else "command", **detail},
    )
