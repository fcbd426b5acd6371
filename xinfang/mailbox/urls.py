"""URLs of xinfang.mailbox (mounted in config/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "mailbox"

urlpatterns: list[URLPattern | URLResolver] = []
