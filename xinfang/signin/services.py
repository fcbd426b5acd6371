"""Staff sign-in: password, then (where the policy asks) a TOTP code; lock-out by django-axes.

A user who must give a code is not logged in after the password: the session only remembers,
for a few minutes, whose password was right. Nothing that checks `is_authenticated` can be
reached with the password alone, and django-axes (which resets a user's failures on login)
resets them only once the code was right too, so wrong codes add up under the same limit.
"""

from __future__ import annotations

from base64 import b32encode
from enum import StrEnum
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import auth
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest
from django.utils import timezone
from django_otp import match_token
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinfang.audit.services import audit_record
from xinfang.core.errors import ApplicationError, Msg
from xinfang.core.http import client_ip
from xinfang.orgs.models import User
from xinfang.signin.selectors import otp_device_exists, otp_required

PENDING_KEY = "signin_pending"
# Long enough to install an authenticator app and scan the code at the first sign-in.
PENDING_SECONDS = 10 * 60
_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


class SigninLocked(ApplicationError):
    code = "locked"
    http_status = 429

    def __init__(self) -> None:
        super().__init__(Msg("登录失败次数过多，已暂时锁定。", "Too many failed sign-ins: locked."))


class Step(StrEnum):
    DONE = "done"
    OTP = "otp"
    SETUP = "setup"


def signin_password_ok(*, request: HttpRequest, user: User) -> Step:
    """The password was right: sign in, or hold the sign-in until the code is given."""
    if not otp_required(user=user):
        _login(request, user, device=None, backend=getattr(user, "backend", _MODEL_BACKEND))
        return Step.DONE
    if request.user.is_authenticated:
        auth.logout(request)  # a new sign-in replaces whoever was signed in on this browser
    else:
        request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "uid": user.pk,
        "backend": getattr(user, "backend", _MODEL_BACKEND),
        "at": int(timezone.now().timestamp()),
    }
    return signin_second_step(user=user)


def signin_second_step(*, user: Any) -> Step:
    return Step.OTP if otp_device_exists(user=user) else Step.SETUP


def signin_failed(*, request: HttpRequest, username: str) -> None:
    """A wrong password (or a locked account): axes has counted it, the audit trail notes it."""
    detail = {
        "username": username[:150],
        "locked": bool(getattr(request, "axes_locked_out", False)),
    }
    _audit(request, action="auth.login_failed", actor=None, detail=detail)


def signin_subject(*, request: HttpRequest) -> User | None:
    """The account a second factor is asked for: the one whose password was right moments ago
    in this session, else the signed-in user (signed in before the policy covered them)."""
    pending = request.session.get(PENDING_KEY)
    if pending:
        if timezone.now().timestamp() - pending["at"] <= PENDING_SECONDS:
            return User.objects.filter(pk=pending["uid"], is_active=True).first()
        del request.session[PENDING_KEY]
    if request.user.is_authenticated:
        return User.objects.filter(pk=request.user.pk).first()
    return None


def signin_otp(*, request: HttpRequest, user: User, token: str) -> bool:
    """Check a code against the user's devices; right → signed in and verified. A wrong code
    counts as a failed sign-in; at the limit the half-made sign-in is dropped."""
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        _abandon(request)
        raise SigninLocked
    device = match_token(user, token)
    if device is not None:
        _login(request, user, device=device, backend=_backend(request))
        return True
    _audit(request, action="auth.otp_failed", actor=user, detail={})
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if getattr(request, "axes_locked_out", False):
        _abandon(request)
        raise SigninLocked
    return False


def otp_enrolment_device(*, user: User) -> TOTPDevice:
    """The unconfirmed TOTP device being set up; the same secret until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)


def otp_secret_display(*, device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app that cannot scan."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def signin_enrol(*, request: HttpRequest, user: User, token: str) -> bool:
    """Confirm the device with its first code; then the user is signed in and verified.

    Wrong codes here are not counted: whoever sees this page already holds the secret.
    """
    device = otp_enrolment_device(user=user)
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # Secrets shown on earlier, abandoned visits must not stay usable.
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    _audit(request, action="auth.otp_enrolled", actor=user, detail={"device": device.pk})
    _login(request, user, device=device, backend=_backend(request))
    return True


def signin_logout(*, request: HttpRequest) -> None:
    user = request.user
    if user.is_authenticated:
        _audit(request, action="auth.logout", actor=User.objects.get(pk=user.pk), detail={})
    auth.logout(request)


def _login(request: HttpRequest, user: User, *, device: Device | None, backend: str) -> None:
    request.session.pop(PENDING_KEY, None)
    if device is not None:
        # django-otp's user_logged_in receiver records the device in the session.
        user.otp_device = device  # type: ignore[attr-defined]
    # Also when the user was already signed in: the session key changes with the privilege.
    auth.login(request, user, backend=backend)
    _audit(request, action="auth.login", actor=user, detail={"otp": device is not None})


def _backend(request: HttpRequest) -> str:
    pending = request.session.get(PENDING_KEY) or {}
    return str(pending.get("backend") or request.session.get(auth.BACKEND_SESSION_KEY, "")) or (
        _MODEL_BACKEND
    )


def _abandon(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)
    if request.user.is_authenticated:
        auth.logout(request)


def _audit(
    request: HttpRequest, *, action: str, actor: User | None, detail: dict[str, Any]
) -> None:
    audit_record(
        action=action,
        actor=actor,
        object_type="user" if actor else "",
        object_id=actor.pk if actor else "",
        detail=detail,
        ip=client_ip(request),
    )
