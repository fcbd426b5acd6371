"""Writes of the notifications outbox: queueing notices with the change that causes them,
citizens' channel preferences, and staff retries.

`outbox_record_event` is registered with xinfang.cases.services.EVENT_LISTENERS (apps.py), so it
runs inside the transaction of every new CaseEvent: the notices commit with the change or not
at all. Delivery happens later, in the worker (notify.delivery).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.utils import timezone

from xinfang.audit.models import AuditAction
from xinfang.audit.services import audit_record
from xinfang.cases.models import Case, CaseEvent, EventKind
from xinfang.core.errors import ApplicationError, FieldErrors, Msg
from xinfang.notify.milestones import MILESTONE_LABELS, Notice, notices_for
from xinfang.notify.models import (
    Audience,
    ChannelPreference,
    Notification,
    NotificationStatus,
    PreferredChannel,
)
from xinfang.notify.recipients import (
    Recipient,
    citizen_language,
    citizen_recipients,
    staff_recipients,
)
from xinfang.notify.rendering import (
    Rendered,
    data_fields,
    render_notice,
    tracking_url,
    workbench_url,
)
from xinfang.orgs.models import User

logger = logging.getLogger(__name__)

CHANNEL_INVALID = Msg("请选择接收方式。", "Choose how you want to be told.")
LANGUAGE_INVALID = Msg("请选择语言。", "Choose a language.")
NOT_FAILED = Msg("只能重发发送失败的通知。", "Only failed notices can be sent again.")


def notification_key(*, event: CaseEvent, notice: Notice, recipient: Recipient) -> str:
    """Stable per event, milestone and address: queueing twice finds the first row."""
    return f"{event.pk}:{notice.milestone}:{recipient.medium}:{recipient.index}"


def _context(case: Case, notice: Notice, url: str) -> dict[str, Any]:
    return {
        "case": case,
        "item_number": case.item_number,
        "query_code": case.query_code,
        "title": case.title,
        "url": url,
        "milestone": MILESTONE_LABELS[notice.milestone],
        **notice.fields,
    }


def _rows(
    event: CaseEvent, notice: Notice, recipients: Sequence[Recipient], language: str
) -> list[Notification]:
    case = event.case
    citizen = notice.audience == Audience.CITIZEN
    url = tracking_url(case=case) if citizen else workbench_url(case=case)
    context = _context(case, notice, url)
    data = {"item_number": case.item_number, "query_code": case.query_code, "title": case.title}
    data |= data_fields(notice.fields)
    now = timezone.now()
    texts: dict[str, Rendered] = {}  # the text depends on the medium, not the recipient
    rows = []
    for recipient in recipients:
        text = texts.get(recipient.medium)
        if text is None:
            text = texts[recipient.medium] = render_notice(
                milestone=notice.milestone,
                medium=recipient.medium,
                language=language,
                context=context,
            )
        rows.append(
            Notification(
                key=notification_key(event=event, notice=notice, recipient=recipient),
                case=case,
                event=event,
                audience=notice.audience,
                medium=recipient.medium,
                address=recipient.address,
                address_index=recipient.index,
                contact_point=recipient.contact_point,
                user=recipient.user,
                template=notice.milestone,
                language=language,
                subject=text.subject,
                body=text.body,
                # "first"/"remark" are the head and foot lines of a WeChat template message.
                data={**data, "first": text.subject, "remark": text.body},
                url=url,
                next_attempt_at=now,
                created_at=now,
            )
        )
    return rows


def _plan(event: CaseEvent, notice: Notice) -> list[Notification]:
    case = event.case
    if notice.audience == Audience.STAFF:
        return _rows(event, notice, staff_recipients(case=case, org_ids=notice.orgs), "zh-hans")
    recipients, preferred = citizen_recipients(case=case, milestone=notice.milestone)
    if not recipients:
        return []
    language = citizen_language(case=case, event=event, preferred=preferred)
    return _rows(event, notice, recipients, language)


def _too_old(event: CaseEvent) -> bool:
    """Historical imports (events dated in the past) must not text anyone today."""
    limit = timedelta(hours=settings.XINFANG_NOTIFY_MAX_EVENT_AGE_HOURS)
    return event.created_at < timezone.now() - limit


def on_case_event(event: CaseEvent) -> None:
    """The listener cases.services calls with each new event (registered in apps.py).

    Not for the receipt: case_create writes the RECEIVED event before intake has stored the
    contact points that say where to answer, so intake queues it itself once they exist
    (`outbox_record_receipt`) — planned once, not planned and then planned again.
    """
    if event.kind != EventKind.RECEIVED:
        outbox_record_event(event)


def outbox_record_receipt(*, case: Case) -> int:
    """Queue the receipt notice of a new petition, after intake stored its contact points."""
    event = case.events.filter(kind=EventKind.RECEIVED).order_by("pk").first()
    return outbox_record_event(event) if event is not None else 0


def outbox_record_event(event: CaseEvent) -> int:
    """Queue the notices `event` calls for, in the caller's transaction; returns how many.

    A notice whose template fails to render is logged and left out: a broken text must not
    refuse the citizen's petition or the staff member's action.
    """
    if _too_old(event):
        return 0
    rows: list[Notification] = []
    for notice in notices_for(event):
        try:
            rows += _plan(event, notice)
        except (TemplateDoesNotExist, TemplateSyntaxError):
            logger.exception("notice %s of event %s not rendered", notice.milestone, event.pk)
    if not rows:
        return 0
    # The unique key makes a repeated offer of the same event a no-op.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    deliver_after_commit()
    return len(rows)


def _kick() -> None:
    from xinfang.notify.tasks import deliver_soon

    deliver_soon()


def deliver_after_commit() -> None:
    """Ask a worker to deliver once the transaction commits (once per transaction); the
    periodic job catches anything this misses."""
    if not settings.XINFANG_NOTIFY_DELIVER_ON_COMMIT:
        return
    pending = transaction.get_connection().run_on_commit
    if any(func is _kick for _sids, func, _robust in pending):
        return
    transaction.on_commit(_kick, robust=True)


# --- citizens' preferences ---------------------------------------------------------------------


def preference_set(*, phone_index: str, channel: str, language: str = "") -> ChannelPreference:
    """Record how the signed-in citizen (their phone's blind index) wants to be told."""
    errors: dict[str, list[Msg]] = {}
    if channel not in PreferredChannel.values:
        errors["channel"] = [CHANNEL_INVALID]
    if language and language not in {code for code, _name in settings.LANGUAGES}:
        errors["language"] = [LANGUAGE_INVALID]
    if errors:
        raise FieldErrors(errors)
    pref, _created = ChannelPreference.objects.update_or_create(
        phone_index=phone_index, defaults={"channel": channel, "language": language}
    )
    return pref


# --- staff --------------------------------------------------------------------------------------


@transaction.atomic
def notification_retry(*, notification: Notification, actor: User) -> Notification:
    """Send a failed notice again now, with a fresh count of attempts."""
    updated = Notification.objects.filter(
        pk=notification.pk, status=NotificationStatus.FAILED
    ).update(
        status=NotificationStatus.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        last_error=f"{notification.last_error}\n[retry requested by {actor.username}]".strip(),
    )
    if not updated:
        raise ApplicationError(NOT_FAILED, code="not_failed")
    notification.refresh_from_db()
    audit_record(
        action=AuditAction.CASE_ACTION,
        actor=actor,
        object_type="case",
        object_id=notification.case_id,
        detail={"kind": "notify.retry", "notification": notification.pk},
    )
    deliver_after_commit()
    return notification
