"""`manage.py check --deploy`: a development SMS back-end in production would put sign-in codes
in the log instead of on phones."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

_DEVELOPMENT = {"xinfang.citizens.sms.ConsoleSmsBackend", "xinfang.citizens.sms.FileSmsBackend"}


@register(Tags.security, deploy=True)
def sms_backend_check(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if settings.XINFANG_SMS_BACKEND in _DEVELOPMENT:
        return [
            Warning(
                "XINFANG_SMS_BACKEND is a development back-end: codes are logged, not sent.",
                hint="Set XINFANG_SMS_BACKEND=xinfang.citizens.sms.HttpSmsBackend and the gateway.",
                id="citizens.W001",
            )
        ]
    return []
