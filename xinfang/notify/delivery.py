"""The worker's side of the outbox: claim due notices, send them, record the outcome.

Safe with several workers on one database. A worker claims a batch by moving it from
`pending` to `sending` with a fresh claim token — on PostgreSQL under
SELECT … FOR UPDATE SKIP LOCKED (workers take different rows instead of queueing behind each
other), on SQLite by a conditional UPDATE whose token says which rows it won. The result is
written only while the token still matches. A worker that dies mid-send leaves rows in
`sending`; after XINFANG_NOTIFY_STALE_SECONDS they go back to `pending` (that attempt counts).
Failures are retried after XINFANG_NOTIFY_BACKOFF (1 min, 5 min, 30 min, 2 h, 12 h …) up to
XINFANG_NOTIFY_MAX_ATTEMPTS; a permanent failure (a rejected address) stops at once.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from xinfang.notify.backends import Backend, DeliveryError, Outgoing, backend_for
from xinfang.notify.models import Notification, NotificationStatus

logger = logging.getLogger(__name__)
BATCH = 50
STALE_NOTE = "worker stopped while sending; tried again"


@dataclass
class DeliveryResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    recovered: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` failed ones (the last step repeats)."""
    steps = settings.XINFANG_NOTIFY_BACKOFF
    return timedelta(seconds=steps[min(max(attempts, 1), len(steps)) - 1])


def outbox_recover_stale(*, now: datetime) -> int:
    """Rows a lost worker left in `sending` become due again."""
    limit = now - timedelta(seconds=settings.XINFANG_NOTIFY_STALE_SECONDS)
    return Notification.objects.filter(
        status=NotificationStatus.SENDING, claimed_at__lt=limit
    ).update(
        status=NotificationStatus.PENDING, claim="", next_attempt_at=now, last_error=STALE_NOTE
    )


def _claim(*, now: datetime, limit: int) -> list[Notification]:
    token = secrets.token_hex(16)
    due = Notification.objects.filter(
        status=NotificationStatus.PENDING, next_attempt_at__lte=now
    ).order_by("next_attempt_at", "pk")
    mark = {
        "status": NotificationStatus.SENDING,
        "claimed_at": now,
        "claim": token,
        "attempts": F("attempts") + 1,
    }
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
        else:
            ids = list(due.values_list("pk", flat=True)[:limit])
        # Still pending: on SQLite another worker may have won some of these rows meanwhile.
        Notification.objects.filter(pk__in=ids, status=NotificationStatus.PENDING).update(**mark)
    return list(Notification.objects.filter(claim=token).order_by("next_attempt_at", "pk"))


def _outgoing(row: Notification) -> Outgoing:
    return Outgoing(
        medium=row.medium,
        address=row.address,
        subject=row.subject,
        body=row.body,
        template=row.template,
        data={str(k): str(v) for k, v in row.data.items()},
        url=row.url,
        language=row.language,
        key=row.key,
    )


def _finish(row: Notification, **fields: object) -> None:
    Notification.objects.filter(
        pk=row.pk, claim=row.claim, status=NotificationStatus.SENDING
    ).update(claim="", **fields)


def _failed(row: Notification, error: str, *, permanent: bool, result: DeliveryResult) -> None:
    now = timezone.now()
    if permanent or row.attempts >= settings.XINFANG_NOTIFY_MAX_ATTEMPTS:
        _finish(row, status=NotificationStatus.FAILED, last_error=error[:2000])
        result.failed += 1
        return
    _finish(
        row,
        status=NotificationStatus.PENDING,
        last_error=error[:2000],
        next_attempt_at=now + backoff(row.attempts),
    )
    result.retrying += 1


def _send(row: Notification, backends: dict[str, Backend], result: DeliveryResult) -> None:
    try:
        if row.medium not in backends:
            backends[row.medium] = backend_for(row.medium)
        backends[row.medium].send(_outgoing(row))
    except DeliveryError as exc:
        _failed(row, str(exc), permanent=exc.permanent, result=result)
    except Exception as exc:  # a back-end's bug must not stop the other notices
        logger.exception("notice %s: back-end %s crashed", row.pk, row.medium)
        _failed(row, f"{type(exc).__name__}: {exc}", permanent=False, result=result)
    else:
        _finish(row, status=NotificationStatus.SENT, sent_at=timezone.now(), last_error="")
        result.sent += 1


def outbox_deliver(
    *,
    limit: int | None = None,
    progress: Callable[[Notification, DeliveryResult], None] | None = None,
) -> DeliveryResult:
    """Deliver the notices that are due now (at most `limit`), batch by batch."""
    result = DeliveryResult(recovered=outbox_recover_stale(now=timezone.now()))
    backends: dict[str, Backend] = {}
    while limit is None or result.handled < limit:
        size = BATCH if limit is None else min(BATCH, limit - result.handled)
        batch = _claim(now=timezone.now(), limit=size)
        if not batch:
            break
        for row in batch:
            _send(row, backends, result)
            if progress is not None:
                progress(row, result)
    return result
