"""Likes and "this is my issue too" on the board: one per person, kind and case, and a cap
on how many one client may give per hour.

The person is a keyed digest, never the identity: a signed-in citizen's phone blind index
when the session has one, else the client's address (so a guest cannot like twice from the
same network, and a household behind one address shares one like — the board counts
support, not votes).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from xinfang.board.models import Publication, Support, SupportKind
from xinfang.core.crypto import blind_index
from xinfang.core.ratelimit import window_hit

SUPPORTS_PER_HOUR = 30
HINTS_PER_MINUTE = 60


def supporter_digest(*, phone_index: str, client_key: str) -> str:
    value = f"citizen:{phone_index}" if phone_index else f"client:{client_key}"
    return blind_index(value, context="board.support")


def throttle_hit(*, bucket: str, key: str, limit: int, window: int) -> bool:
    """Count one request of `key` in the current `window` (seconds); True when over `limit`.
    The key is hashed: client addresses never sit in the cache as such."""
    hashed = blind_index(key, context="board.throttle")
    count = window_hit(key=f"board:{bucket}:{hashed}", window=window)
    return count > limit


def support_add(*, publication: Publication, kind: SupportKind, supporter: str) -> bool:
    """Record the support once; True when it is new (and the count went up)."""
    try:
        with transaction.atomic():
            Support.objects.create(
                case_id=publication.case_id,
                kind=kind,
                supporter=supporter,
                created_at=timezone.now(),
            )
            Publication.objects.filter(pk=publication.pk).update(
                support_count=F("support_count") + 1
            )
    except IntegrityError:  # board_support_once: this person already did
        return False
    return True


def support_kinds_given(*, publication: Publication, supporter: str) -> set[str]:
    return set(
        Support.objects.filter(case_id=publication.case_id, supporter=supporter).values_list(
            "kind", flat=True
        )
    )
