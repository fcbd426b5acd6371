from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "xinfang.signin"
    label = "signin"
    verbose_name = "员工登录 Staff sign-in"

    def ready(self) -> None:
        from django.contrib import admin

        from xinfang.signin.adminsite import adopt_signin

        adopt_signin(admin.site)
