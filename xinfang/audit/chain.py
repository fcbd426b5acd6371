"""The audit chain's canonical form and hash, shared by the writer and the verifier.

Why the chain is tamper-evident: each entry's `hash` is SHA-256 over a canonical serialisation
of all its columns *including its position `seq` and the previous entry's hash*. So

* editing any column of entry k changes what its hash should be: recomputation fails at k
  (and if the forger also rewrites k's stored hash, entry k+1's `prev_hash` no longer links);
* deleting entry k leaves a gap in `seq` (or, if later rows are renumbered, their hashes fail);
* reordering entries changes `seq`/`prev_hash` inputs, so hashes and links fail.

What it cannot show on its own: someone with write access deleting the *last* entries, or
rewriting the whole chain from some point on and recomputing every hash. Against that, the
head (`selectors.audit_head()`: seq and hash) is recorded outside the database — published,
printed in a signed report, sent to a separate log — and `verify_audit --expect-head SEQ:HASH`
checks that the chain still reaches it unchanged.

Canonical form (so an independent verifier can recompute it): UTF-8 of the JSON object
{"seq", "created_at", "actor_id", "actor_org_id", "action", "object_type", "object_id",
"detail", "ip", "prev_hash"} with sorted keys, separators "," and ":" and ASCII escapes
(Python's `json.dumps(..., sort_keys=True, separators=(",", ":"))`); `created_at` is UTC ISO 8601
with microseconds; `ip` is the fully expanded address (the database may print IPv6 differently
from how it was written); `detail` holds only strings, integers, booleans, null, lists and objects,
which every supported database gives back exactly as written.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


def entry_hash(
    *,
    seq: int,
    created_at: datetime,
    actor_id: int | None,
    actor_org_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    detail: Mapping[str, Any],
    ip: str | None,
    prev_hash: str,
) -> str:
    canonical = {
        "seq": seq,
        "created_at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_org_id": actor_org_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "detail": detail,
        "ip": _expanded(ip) if ip else None,
        "prev_hash": prev_hash,
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


@functools.lru_cache(maxsize=4096)  # a long chain repeats a few thousand office addresses
def _expanded(ip: str) -> str:
    return ipaddress.ip_address(ip).exploded
