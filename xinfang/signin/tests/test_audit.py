"""Sign-in events reach the audit trail (when the audit app is installed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.apps import apps
from django.test import Client

from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_org, make_staff
from xinfang.signin.tests.helpers import LOGOUT, SETUP, code_for, login, verify, wrong_code

pytestmark = pytest.mark.django_db


def test_sign_in_events_are_audited(client: Client) -> None:
    if not apps.is_installed("xinfang.audit"):
        pytest.skip("xinfang.audit is not installed")
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from xinfang.audit.models import AuditAction, AuditEntry

    leader = make_staff(org=make_org(), role=Role.UNIT_LEADER)
    login(client, "nobody", "guess")
    with time_machine.travel(datetime.now(tz=UTC), tick=False) as clock:
        login(client, leader.username)
        client.get(SETUP)
        device = TOTPDevice.objects.get(user=leader)
        client.post(SETUP, {"token": code_for(device)})
        client.post(LOGOUT)
        clock.shift(60)
        login(client, leader.username)
        verify(client, wrong_code(device))

    entries = list(AuditEntry.objects.order_by("seq"))
    expected = [
        ("auth.login_failed", None),
        ("auth.otp_enrolled", leader.pk),
        ("auth.login", leader.pk),
        ("auth.logout", leader.pk),
        ("auth.otp_failed", leader.pk),
    ]
    # Actions the installed audit app does not know yet are skipped with a warning.
    expected = [(a, actor) for a, actor in expected if a in AuditAction.values]
    assert [(e.action, e.actor_id) for e in entries] == expected
    assert entries[0].detail == {"username": "nobody", "locked": False}
    assert entries[0].ip == "127.0.0.1"
