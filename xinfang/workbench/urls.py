from django.urls import path

from xinfang.workbench import hot_views, views

app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path("queue/<str:name>/", views.queue, name="queue"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/actions/<str:name>/", views.case_action, name="action"),
    path("cases/<int:pk>/reveal/", views.reveal, name="reveal"),
    path("bulk/", views.bulk, name="bulk"),
    path("hot/", hot_views.hot, name="hot"),
]
