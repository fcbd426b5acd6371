"""Moderation queue URLs, mounted at /staff/board/ (before the workbench's /staff/)."""

from __future__ import annotations

from django.urls import path

from xinfang.board import staff_views

app_name = "board_staff"

urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("<int:pk>/", staff_views.detail, name="detail"),
    path("<int:pk>/<str:action>/", staff_views.act, name="act"),
]
