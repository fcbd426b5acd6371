"""URLs of xinfang.hotline (mounted at /staff/hotline/ in config/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from xinfang.hotline import views

app_name = "hotline"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.entry, name="entry"),
    path("caller/", views.caller, name="caller"),
    path("hint/", views.hint, name="hint"),
    path("import/", views.import_orders, name="import"),
    path("import/errors.csv", views.import_errors, name="import-errors"),
    path("export/", views.export_orders, name="export"),
]
