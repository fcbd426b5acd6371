"""URLs of xinfang.wechat (mounted in config/urls.py at /wechat/)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from xinfang.wechat import views

app_name = "wechat"

urlpatterns: list[URLPattern | URLResolver] = [
    path("<slug:code>/", views.callback, name="callback"),
    path("<slug:code>/form/", views.form, name="form"),
    path("<slug:code>/receipt/", views.receipt, name="receipt"),
]
