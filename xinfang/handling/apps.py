from django.apps import AppConfig


class HandlingConfig(AppConfig):
    name = "xinfang.handling"
    verbose_name = "办理 Handling"
