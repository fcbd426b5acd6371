"""URLs of xinfang.grid (mounted in config/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "grid"

urlpatterns: list[URLPattern | URLResolver] = []
