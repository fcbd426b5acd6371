"""URLs of xinfang.wechat (mounted in config/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "wechat"

urlpatterns: list[URLPattern | URLResolver] = []
