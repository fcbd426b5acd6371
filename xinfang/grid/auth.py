"""How a grid system proves who it is: a bearer token, plus an HMAC signature if its record
has a signing secret.

The token alone (over TLS) identifies the system. Signing is opt-in per system, for
deployments where TLS ends at a gateway that logs headers or where the token may be copied
along the way: the signature binds method, path, body and time to a secret that never
travels, so a captured request cannot be altered, and cannot be replayed after
SIGNATURE_WINDOW seconds. Replays inside the window are harmless: events are idempotent per
event id and a task result is accepted once.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from xinfang.grid.models import GridSystem
from xinfang.grid.selectors import grid_system_by_token

SIGNATURE_WINDOW = 300  # seconds either side of our clock
TIMESTAMP_HEADER = "X-Grid-Timestamp"
SIGNATURE_HEADER = "X-Grid-Signature"


@dataclass(frozen=True)
class GridPrincipal:
    """request.user for a grid system's requests (it is not a staff account)."""

    system: GridSystem
    is_authenticated: bool = True
    is_active: bool = True
    is_superuser: bool = False


def signature_base(*, timestamp: str, method: str, path: str, body: bytes) -> bytes:
    """What is signed: "<unix seconds>\\n<METHOD>\\n<path with query>\\n<sha256 hex of body>"."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{timestamp}\n{method.upper()}\n{path}\n{digest}".encode()


def signature_make(*, secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    base = signature_base(timestamp=timestamp, method=method, path=path, body=body)
    return hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def _check_signature(request: Request, system: GridSystem) -> None:
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > SIGNATURE_WINDOW:
        raise AuthenticationFailed(
            "签名时间戳缺失或已过期。Missing or stale X-Grid-Timestamp.", code="bad_signature"
        )
    expected = signature_make(
        secret=system.signing_secret,
        timestamp=timestamp,
        method=request.method or "",
        path=request._request.get_full_path(),
        body=request._request.body,  # cached by Django; DRF still parses it afterwards
    )
    if not hmac.compare_digest(expected, given.lower()):
        raise AuthenticationFailed("请求签名不正确。Bad X-Grid-Signature.", code="bad_signature")


class GridTokenAuthentication(BaseAuthentication):
    """Authorization: Bearer <token> → the active GridSystem it was issued to."""

    def authenticate(self, request: Request) -> tuple[GridPrincipal, GridSystem] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None  # no credentials: the permission check answers 401
        if len(parts) != 2:
            raise AuthenticationFailed(
                "Authorization 头格式不正确。Malformed Authorization header.", code="bad_token"
            )
        system = grid_system_by_token(token=parts[1].decode("latin-1"))
        if system is None:
            raise AuthenticationFailed(
                "令牌无效或已停用。Unknown or disabled token.", code="bad_token"
            )
        if system.signing_secret:
            _check_signature(request, system)
        return GridPrincipal(system), system

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="grid"'


class IsGridSystem(BasePermission):
    def has_permission(self, request: Request, view: object) -> bool:
        return isinstance(request.auth, GridSystem)


class GridTokenScheme(OpenApiAuthenticationExtension):
    """Names the grid systems' credential in the OpenAPI document."""

    target_class = GridTokenAuthentication
    name = "gridToken"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "Per-grid-system token. Systems set up for signing also send "
                f"{TIMESTAMP_HEADER} (unix seconds) and {SIGNATURE_HEADER}: hex HMAC-SHA256 "
                'with the signing secret over "<timestamp>\\n<METHOD>\\n<path?query>\\n'
                '<sha256 hex of body>".'
            ),
        }
