"""Proxy agents' pages, mounted at /proxy/ in config/urls.py."""

from __future__ import annotations

from django.urls import path

from xinfang.grid import views

app_name = "proxy"

urlpatterns = [
    path("", views.proxy_list, name="list"),
    path("new/", views.proxy_new, name="new"),
    path("cases/<int:pk>/", views.proxy_detail, name="detail"),
]
