"""The staff outbox page and the citizen's preference page, through the real HTTP stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from xinfang.audit.models import AuditEntry
from xinfang.cases.tests.factories import VALID_PHONE, make_case
from xinfang.citizens.services import phone_index
from xinfang.citizens.tests.helpers import sign_in
from xinfang.handling.tests.world import World
from xinfang.notify.models import ChannelPreference, Notification, NotificationStatus
from xinfang.orgs.models import OrgKind
from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_org, make_staff
from xinfang.signin.tests.helpers import force_login_verified

pytestmark = pytest.mark.django_db

OUTBOX = "/staff/notify/"
PREFS = "/me/notify/"


def staff_client(user: Any) -> Client:
    client = Client()
    force_login_verified(client, user)
    return client


def test_staff_see_the_outbox_of_their_cases_only(world: World) -> None:
    case = make_case()
    page = staff_client(world.registrar).get(OUTBOX)
    assert page.status_code == 200
    html = page.content.decode()
    assert case.item_number in html
    assert "139****1234" in html
    assert VALID_PHONE not in html  # addresses are masked

    elsewhere = make_org(kind=OrgKind.PETITION_BUREAU, region_code="430200", name="株洲市信访局")
    outsider = staff_client(make_staff(org=elsewhere))
    assert case.item_number not in outsider.get(OUTBOX).content.decode()
    assert Client().get(OUTBOX).status_code == 302  # sign in first


def test_filters_by_status_medium_and_item_number(world: World) -> None:
    case, other = make_case(), make_case()
    Notification.objects.filter(case=other).update(status=NotificationStatus.FAILED)
    client = staff_client(world.registrar)
    failed = client.get(OUTBOX, {"status": "failed"}).content.decode()
    assert other.item_number in failed
    assert case.item_number not in failed
    by_item = client.get(OUTBOX, {"item": case.item_number}).content.decode()
    assert case.item_number in by_item
    assert other.item_number not in by_item
    assert 'id="outbox-empty"' in client.get(OUTBOX, {"medium": "email"}).content.decode()
    assert client.get(OUTBOX, {"status": "nonsense"}).status_code == 200  # ignored, not an error


def test_failed_notices_are_retried_by_those_allowed(world: World) -> None:
    make_case()
    row = Notification.objects.get()
    Notification.objects.filter(pk=row.pk).update(
        status=NotificationStatus.FAILED, attempts=8, last_error="gateway answered 500"
    )
    url = f"{OUTBOX}{row.pk}/retry/"
    handler = staff_client(make_staff(org=world.bureau, role=Role.HANDLER))
    assert handler.post(url).status_code == 403
    assert staff_client(world.registrar).get(url).status_code == 405

    answer = staff_client(world.registrar).post(url, {"next": f"{OUTBOX}?status=failed"})
    assert (answer.status_code, answer["Location"]) == (302, f"{OUTBOX}?status=failed")
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 0)
    assert "retry requested" in row.last_error
    assert AuditEntry.objects.filter(detail__kind="notify.retry").count() == 1

    again = staff_client(world.registrar).post(url, follow=True)
    assert "只能重发发送失败的通知" in again.content.decode()
    elsewhere = make_org(kind=OrgKind.PETITION_BUREAU, region_code="430200")
    outsider = staff_client(make_staff(org=elsewhere))
    assert outsider.post(url).status_code == 404


def test_citizens_choose_how_they_hear(world: World, sms_dir: Path) -> None:
    client = Client()
    assert client.get(PREFS)["Location"] == f"/me/login/?next={PREFS}"
    sign_in(client, VALID_PHONE, sms_dir)
    page = client.get(PREFS)
    assert page.status_code == 200
    assert 'value="none"' in page.content.decode()

    refused = client.post(PREFS, {"channel": "fax", "language": "fr"})
    assert refused.status_code == 400
    assert "请选择接收方式" in refused.content.decode()
    assert not ChannelPreference.objects.exists()

    assert client.post(PREFS, {"channel": "none", "language": "en"})["Location"] == PREFS
    pref = ChannelPreference.objects.get()
    assert (pref.phone_index, pref.channel, pref.language) == (
        phone_index(VALID_PHONE),
        "none",
        "en",
    )
    assert 'value="none" checked' in client.get(PREFS).content.decode()
