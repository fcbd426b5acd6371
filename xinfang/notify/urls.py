"""URLs of xinfang.notify (mounted in config/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "notify"

urlpatterns: list[URLPattern | URLResolver] = []
