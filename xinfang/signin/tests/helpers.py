"""Sign-in steps over the test client, and TOTP codes computed as a phone app would."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinfang.orgs.models import User

PASSWORD = "pw-for-tests-only"  # make_staff's password
LOGIN = "/staff/auth/login/"
OTP = "/staff/auth/otp/"
SETUP = "/staff/auth/otp/setup/"
LOGOUT = "/staff/auth/logout/"


def code_for(device: TOTPDevice) -> str:
    token = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{token:0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(code_for(device)) + 1) % 1_000_000:06d}"


def make_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def login(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def verify(client: Client, token: str, **extra: Any) -> Any:
    return client.post(OTP, {"token": token, **extra})


def force_login_verified(client: Client, user: User) -> None:
    """client.force_login plus the second factor, for tests of pages behind it (the admin)."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="tests", defaults={"confirmed": True}
    )
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
