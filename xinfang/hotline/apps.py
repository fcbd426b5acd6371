from django.apps import AppConfig


class HotlineConfig(AppConfig):
    name = "xinfang.hotline"
    verbose_name = "热线 Hotline"
