"""URLs of xinfang.analytics, mounted at /staff/analytics/ in config/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from xinfang.analytics import report_views, views

app_name = "analytics"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    path("cases/", views.cases, name="cases"),
    path("export/<str:table>.<str:fmt>", views.export, name="export"),
    path("report/<int:year>/", report_views.annual_report_view, name="report-annual"),
]
