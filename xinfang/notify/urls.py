"""URLs of xinfang.notify (mounted in config/urls.py at /staff/notify/)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from xinfang.notify import views

app_name = "notify"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.outbox, name="outbox"),
    path("<int:pk>/retry/", views.retry, name="retry"),
]
