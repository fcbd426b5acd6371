"""The worker's side: claims, retries with back-off, permanent failures, lost workers, and the
real SMS file back-end."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from xinfang.cases.models import Channel
from xinfang.cases.tests.factories import VALID_PHONE, make_case, petition_payload
from xinfang.core import crypto
from xinfang.handling.tests.world import World
from xinfang.intake.services import petition_submit
from xinfang.notify.backends import DeliveryError
from xinfang.notify.contacts import Contact
from xinfang.notify.delivery import _claim, _finish, backoff, outbox_deliver
from xinfang.notify.models import Medium, Notification, NotificationStatus
from xinfang.notify.tests.fakes import RecordingBackend

pytestmark = pytest.mark.django_db

OPENID = "hn-xfj/oABCDEF1234567890"


def wechat_case() -> Any:
    data = petition_payload(anonymous=True)
    contacts = [Contact(Medium.WECHAT, OPENID)]
    return petition_submit(channel=Channel.WECHAT, data=data, contacts=contacts).case


def later(seconds: int) -> time_machine.travel:
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=False)


def the_row() -> Notification:
    return Notification.objects.get()


def test_backoff_steps_then_repeats_the_last(settings: Any) -> None:
    settings.XINFANG_NOTIFY_BACKOFF = [60, 300, 1800]
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4, 9)] == [60, 300, 1800, 1800, 1800]


def test_failures_are_retried_with_back_off_until_sent(
    world: World, fake_wechat: type[RecordingBackend], settings: Any
) -> None:
    settings.XINFANG_NOTIFY_BACKOFF = [60, 300]
    wechat_case()
    fake_wechat.failures += [DeliveryError("busy"), DeliveryError("busy again")]
    start = datetime(2026, 3, 2, 9, tzinfo=timezone.get_current_timezone())
    Notification.objects.update(next_attempt_at=start)
    with time_machine.travel(start, tick=False):
        assert outbox_deliver().retrying == 1
        row = the_row()
        assert (row.status, row.attempts, row.last_error) == ("pending", 1, "busy")
        assert row.next_attempt_at == start + timedelta(seconds=60)
        assert outbox_deliver().handled == 0  # not due yet: nothing is claimed
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert outbox_deliver().retrying == 1
        assert the_row().next_attempt_at == start + timedelta(seconds=61 + 300)
    with time_machine.travel(start + timedelta(seconds=400), tick=False):
        assert outbox_deliver().sent == 1
    row = the_row()
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, "")
    assert row.sent_at == start + timedelta(seconds=400)
    (message,) = fake_wechat.sent
    assert (message.address, message.key, message.template) == (OPENID, row.key, "received")
    assert message.data["query_code"] == row.case.query_code


def test_a_permanent_failure_stops_at_once(
    world: World, fake_wechat: type[RecordingBackend]
) -> None:
    wechat_case()
    fake_wechat.failures.append(DeliveryError("openid unsubscribed", permanent=True))
    assert outbox_deliver().failed == 1
    row = the_row()
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "openid unsubscribed")


def test_retries_end_when_attempts_are_used_up(
    world: World, fake_wechat: type[RecordingBackend], settings: Any
) -> None:
    settings.XINFANG_NOTIFY_MAX_ATTEMPTS = 2
    wechat_case()
    fake_wechat.failures += [DeliveryError("down"), DeliveryError("down")]
    outbox_deliver()
    with later(3600):
        assert outbox_deliver().failed == 1
    assert (the_row().status, the_row().attempts) == ("failed", 2)
    assert fake_wechat.sent == []


def test_a_crashing_or_missing_back_end_is_a_temporary_failure(world: World, settings: Any) -> None:
    backends = settings.XINFANG_NOTIFY_BACKENDS
    settings.XINFANG_NOTIFY_BACKENDS = {
        **backends,
        "wechat": "xinfang.notify.tests.fakes.CrashingBackend",
    }
    wechat_case()
    assert outbox_deliver().retrying == 1
    assert the_row().last_error == "RuntimeError: bug in a back-end"
    settings.XINFANG_NOTIFY_BACKENDS = {**backends, "wechat": "xinfang.nowhere.Backend"}
    with later(3600):
        outbox_deliver()
    row = the_row()
    assert row.status == "pending"
    assert row.last_error.startswith("no back-end for wechat")


def test_a_claimed_row_is_not_claimed_again(world: World) -> None:
    make_case()
    first = _claim(now=timezone.now(), limit=10)
    assert [r.status for r in first] == ["sending"]
    assert _claim(now=timezone.now(), limit=10) == []


def test_a_lost_workers_rows_are_sent_by_the_next_and_only_once(
    world: World, fake_wechat: type[RecordingBackend], settings: Any
) -> None:
    settings.XINFANG_NOTIFY_STALE_SECONDS = 600
    wechat_case()
    (lost,) = _claim(now=timezone.now(), limit=10)  # this worker dies before sending
    with later(300):
        assert outbox_deliver().handled == 0  # still within the timeout: left alone
    with later(601):
        result = outbox_deliver()
    assert (result.recovered, result.sent) == (1, 1)
    # The dead worker's claim token no longer matches: it cannot overwrite the outcome.
    _finish(lost, status=NotificationStatus.FAILED, last_error="late")
    row = the_row()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(fake_wechat.sent) == 1


def test_sms_go_out_through_the_file_back_end(world: World, sms_dir: Path) -> None:
    case = make_case()
    assert outbox_deliver().sent == 1
    (line,) = (sms_dir / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    sent = json.loads(line)
    assert sent["to_index"] == crypto.blind_index(VALID_PHONE, context="phone")
    assert case.query_code in sent["message"]
    assert sent["message"].startswith("【阳光信访】")
    assert the_row().status == "sent"


def test_notify_send_reports_each_notice(world: World, fake_wechat: type[RecordingBackend]) -> None:
    make_case()
    wechat_case()
    fake_wechat.failures.append(DeliveryError("busy"))
    out = StringIO()
    call_command("notify_send", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[-1] == "sent 1, retrying 1, failed 0, recovered 0 stale"
    assert any("received sms: sent, attempt 1" in line for line in lines)
    assert any("received wechat: pending, attempt 1 (busy)" in line for line in lines)


def test_notify_send_refuses_a_bad_limit(db: Any) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("notify_send", "--limit", "0")
    assert refused.value.returncode == 2


def test_the_worker_schedule_runs_the_delivery_job(settings: Any) -> None:
    from xinfang.jobs.services import task_resolve

    entry = settings.XINFANG_SCHEDULE["notify.deliver"]
    assert task_resolve(path=str(entry["task"])) is not None
    assert entry["every"] == 30
