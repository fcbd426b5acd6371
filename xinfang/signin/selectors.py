"""Who must give a second factor, and whether they have."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_otp import user_has_device

from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import user_has_perm


def otp_required(*, user: Any) -> bool:
    """Staff who may see petitioners' identities (and superusers) sign in with a TOTP code."""
    if not getattr(user, "is_authenticated", False):
        return False
    if settings.XINFANG_OTP_REQUIRED_ALL or getattr(user, "is_superuser", False):
        return True
    return user_has_perm(user=user, perm=Perm.IDENTITY_REVEAL)


def otp_verified(*, user: Any) -> bool:
    """True once this session's user gave a code (OTPMiddleware installs `is_verified`)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def otp_pending(*, user: Any) -> bool:
    """Signed in with the password only, but the policy asks this user for a code too."""
    # Verified first: a session past its code costs no membership query on every page.
    return not otp_verified(user=user) and otp_required(user=user)


def otp_device_exists(*, user: Any) -> bool:
    """A confirmed device: a TOTP app or, if an administrator issued them, backup codes."""
    return bool(user_has_device(user, confirmed=True))
