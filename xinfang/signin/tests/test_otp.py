"""The second factor: who is asked, code check, lock-out, enrolment and the admin."""

from __future__ import annotations

import re
from base64 import b32encode
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinfang.orgs.models import Org, User
from xinfang.orgs.permissions import Role
from xinfang.orgs.services import user_create_staff
from xinfang.orgs.tests.factories import make_org, make_staff
from xinfang.signin.selectors import otp_required, otp_verified
from xinfang.signin.tests.helpers import (
    LOGIN,
    OTP,
    SETUP,
    code_for,
    force_login_verified,
    login,
    make_device,
    verify,
    wrong_code,
)

pytestmark = pytest.mark.django_db

# Near the real time: sessions made under the frozen clock must not have expired after it.
T0 = datetime.now(tz=UTC).replace(microsecond=0)


@pytest.fixture
def unit() -> Org:
    return make_org()


@pytest.fixture
def leader(unit: Org) -> User:
    return make_staff(org=unit, role=Role.UNIT_LEADER)


def current_user(client: Client):
    return client.get(LOGIN).wsgi_request.user


def test_policy_follows_identity_reveal(unit: Org, leader: User, settings) -> None:
    assert otp_required(user=leader)
    assert not otp_required(user=make_staff(org=unit, role=Role.HANDLER))
    assert not otp_required(user=make_staff(org=unit, role=Role.REGISTRAR))
    boss = user_create_staff(username="root", password="x", full_name="", is_superuser=True)
    assert otp_required(user=boss)
    settings.XINFANG_OTP_REQUIRED_ALL = True
    assert otp_required(user=make_staff(org=unit, role=Role.HANDLER))


def test_leader_is_not_signed_in_before_the_code(leader: User, client: Client) -> None:
    device = make_device(leader)
    with time_machine.travel(T0, tick=False):
        response = login(client, leader.username, next="/admin/cases/case/")
        assert response["Location"] == f"{OTP}?next=%2Fadmin%2Fcases%2Fcase%2F"
        # The password alone opens nothing.
        assert not current_user(client).is_authenticated
        assert client.get("/admin/").status_code == 302

        page = client.get(response["Location"])
        assert page.status_code == 200
        assert leader.username in page.content.decode()

        refused = verify(client, wrong_code(device), next="/admin/cases/case/")
        assert refused.status_code == 200
        assert "验证码不正确" in refused.content.decode()
        assert not current_user(client).is_authenticated

        accepted = verify(client, code_for(device), next="/admin/cases/case/")
        assert accepted["Location"] == "/admin/cases/case/"
    admin = client.get("/admin/")
    assert admin.status_code == 200
    assert admin.wsgi_request.user == leader
    assert otp_verified(user=admin.wsgi_request.user)


def test_a_used_code_cannot_be_replayed(leader: User, client: Client) -> None:
    device = make_device(leader)
    with time_machine.travel(T0, tick=False):
        login(client, leader.username)
        code = code_for(device)
        assert verify(client, code).status_code == 302
        other = Client()
        login(other, leader.username)
        assert verify(other, code).status_code == 200
        assert not current_user(other).is_authenticated


def test_handler_is_not_asked_for_a_code(unit: Org, client: Client) -> None:
    handler = make_staff(org=unit, role=Role.HANDLER)
    response = login(client, handler.username)
    assert response["Location"] == "/staff/"
    user = current_user(client)
    assert user.is_authenticated
    assert not otp_verified(user=user)
    assert client.get("/staff/").status_code == 200


def test_everyone_is_asked_when_required_for_all(unit: Org, client: Client, settings) -> None:
    settings.XINFANG_OTP_REQUIRED_ALL = True
    handler = make_staff(org=unit, role=Role.HANDLER)
    response = login(client, handler.username)
    assert response["Location"].startswith(SETUP)
    assert not current_user(client).is_authenticated


def test_wrong_codes_lock_out_like_wrong_passwords(leader: User, client: Client, settings) -> None:
    device = make_device(leader)
    with time_machine.travel(T0, tick=False) as clock:
        login(client, leader.username)
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert verify(client, wrong_code(device)).status_code == 200
        locked = verify(client, wrong_code(device))
        assert locked.status_code == 429
        # The half-made sign-in is gone, and the password no longer opens the code page.
        assert client.get(OTP)["Location"].startswith(LOGIN)
        assert login(client, leader.username).status_code == 429

        clock.shift(timedelta(minutes=15, seconds=1))
        assert login(client, leader.username)["Location"].startswith(OTP)
        assert verify(client, code_for(device)).status_code == 302
    assert otp_verified(user=current_user(client))


def test_signing_in_again_does_not_reset_wrong_codes(leader: User, client: Client) -> None:
    """The password step must not wipe the code failures, or codes could be guessed forever."""
    device = make_device(leader)
    with time_machine.travel(T0, tick=False):
        login(client, leader.username)
        for _ in range(4):
            verify(client, wrong_code(device))
        assert login(client, leader.username)["Location"].startswith(OTP)
        assert verify(client, wrong_code(device)).status_code == 429


def test_the_password_step_expires(leader: User, client: Client) -> None:
    device = make_device(leader)
    with time_machine.travel(T0, tick=False) as clock:
        login(client, leader.username)
        clock.shift(timedelta(minutes=11))
        response = verify(client, code_for(device))
        assert response["Location"].startswith(LOGIN)
        assert not current_user(client).is_authenticated


def test_backup_code_from_an_administrator_is_accepted(leader: User, client: Client) -> None:
    static = StaticDevice.objects.create(user=leader, name="backup", confirmed=True)
    static.token_set.create(token="k3x9p2m7")
    login(client, leader.username)
    assert verify(client, "k3x9 p2m7").status_code == 302
    assert otp_verified(user=current_user(client))
    assert not static.token_set.exists()  # used once


def test_first_sign_in_enrols_a_device(leader: User, client: Client) -> None:
    with time_machine.travel(T0, tick=False):
        response = login(client, leader.username, next="/admin/")
        assert response["Location"] == f"{SETUP}?next=%2Fadmin%2F"
        assert client.get(OTP + "?next=/admin/")["Location"] == f"{SETUP}?next=%2Fadmin%2F"

        page = client.get(response["Location"]).content.decode()
        device = TOTPDevice.objects.get(user=leader)
        assert not device.confirmed
        assert "<svg" in page
        secret = b32encode(device.bin_key).decode()
        shown = re.search(r'id="otp-secret">([A-Z2-7 ]+)<', page)
        assert shown
        assert shown.group(1).replace(" ", "") == secret
        # Reloading shows the same secret: the phone may already have scanned it.
        client.get(SETUP)
        assert TOTPDevice.objects.filter(user=leader).count() == 1

        refused = client.post(SETUP, {"token": wrong_code(device), "next": "/admin/"})
        assert refused.status_code == 200
        assert "验证码不正确" in refused.content.decode()
        assert not current_user(client).is_authenticated

        done = client.post(SETUP, {"token": code_for(device), "next": "/admin/"})
        assert done["Location"] == "/admin/"
    device.refresh_from_db()
    assert device.confirmed
    user = client.get("/admin/").wsgi_request.user
    assert otp_verified(user=user)
    assert user.otp_device == device


def test_password_alone_cannot_replace_an_enrolled_device(leader: User, client: Client) -> None:
    make_device(leader)
    login(client, leader.username)
    assert client.get(SETUP)["Location"].startswith(OTP)
    assert client.post(SETUP, {"token": "123456"})["Location"].startswith(OTP)
    assert TOTPDevice.objects.filter(user=leader).count() == 1


def test_code_pages_without_a_password_go_to_sign_in(client: Client) -> None:
    assert client.get(OTP)["Location"].startswith(LOGIN)
    assert client.get(SETUP)["Location"].startswith(LOGIN)


def test_admin_asks_an_unverified_leader_for_the_code(leader: User, client: Client) -> None:
    """E.g. a session from before the user was made a leader."""
    device = make_device(leader)
    client.force_login(leader)
    response = client.get("/admin/cases/case/", follow=True)
    assert response.redirect_chain[-1][0] == f"{OTP}?next=%2Fadmin%2Fcases%2Fcase%2F"
    with time_machine.travel(T0, tick=False):
        assert verify(client, code_for(device), next="/admin/cases/case/").status_code == 302
    assert client.get("/admin/cases/case/").status_code == 200


def test_admin_asks_a_superuser_to_enrol(client: Client) -> None:
    boss = user_create_staff(username="root", password="x", full_name="", is_superuser=True)
    client.force_login(boss)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == f"{SETUP}?next=%2Fadmin%2F"


def test_signing_in_again_in_the_same_browser_replaces_the_session(
    unit: Org, leader: User, client: Client
) -> None:
    handler = make_staff(org=unit, role=Role.HANDLER)
    login(client, handler.username)
    make_device(leader)
    login(client, leader.username)
    # The handler's session is gone; the leader is not signed in until the code.
    assert not current_user(client).is_authenticated


def test_verified_test_login_opens_the_admin_for_a_superuser(client: Client) -> None:
    boss = user_create_staff(username="root", password="x", full_name="", is_superuser=True)
    force_login_verified(client, boss)
    assert client.get("/admin/").status_code == 200
