from django.urls import path

from xinfang.citizens import views
from xinfang.notify import views as notify_views

app_name = "citizens"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("cases/<str:query_code>/", views.case, name="case"),
    path("material/", views.material, name="material"),
    path("files/<int:pk>/", views.attachment, name="attachment"),
    path("notify/", notify_views.preferences, name="notify"),
]
