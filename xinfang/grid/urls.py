"""URLs of the grid systems' API, mounted at /api/grid/v1/ in config/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from xinfang.grid import api

app_name = "grid"

urlpatterns: list[URLPattern | URLResolver] = [
    path("events", api.EventCreateApi.as_view(), name="event-create"),
    path("workers", api.WorkerSyncApi.as_view(), name="worker-sync"),
    path("tasks", api.TaskListApi.as_view(), name="task-list"),
    path("tasks/<int:pk>/result", api.TaskResultApi.as_view(), name="task-result"),
]
