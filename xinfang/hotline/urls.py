"""URLs of xinfang.hotline (mounted in config/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "hotline"

urlpatterns: list[URLPattern | URLResolver] = []
