"""Who is on the other end of a request: one answer for throttles, lock-outs and the audit."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings


def client_key(request: Any) -> str:
    """The client's address for throttling.

    X-Forwarded-For is read only behind a reverse proxy we run (setting), and then only its last
    entry, the one our proxy appended: anything before it is whatever the client chose to send.
    """
    if settings.XINFANG_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return str(forwarded)
    return str(request.META.get("REMOTE_ADDR", ""))


def client_ip(request: Any) -> str | None:
    """The client's address as a valid IP for the audit trail, or None when there is none."""
    try:
        return str(ipaddress.ip_address(client_key(request)))
    except ValueError:
        return None
