"""Public board URLs, mounted at /board/ (config/urls.py)."""

from __future__ import annotations

from django.urls import path

from xinfang.board import views

app_name = "board"

urlpatterns = [
    path("", views.board_list, name="list"),
    path("hint/", views.board_hint, name="hint"),
    path("<int:pk>/", views.board_detail, name="detail"),
    path("<int:pk>/support/", views.board_support, name="support"),
]
