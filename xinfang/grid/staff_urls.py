"""Staff pages of grid verification, mounted at /staff/grid/ in config/urls.py."""

from __future__ import annotations

from django.urls import path

from xinfang.grid import views

app_name = "grid_staff"

urlpatterns = [
    path("cases/<int:pk>/tasks/", views.case_tasks, name="case-tasks"),
    path("photos/<int:pk>/", views.task_photo, name="photo"),
]
