"""URLs of xinfang.open311 (mounted in config/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "open311"

urlpatterns: list[URLPattern | URLResolver] = []
