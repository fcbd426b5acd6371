from django.urls import path

from xinfang.signin import views

app_name = "signin"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("otp/", views.otp_view, name="otp"),
    path("otp/setup/", views.otp_setup_view, name="otp-setup"),
    path("logout/", views.logout_view, name="logout"),
]
