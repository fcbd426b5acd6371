from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "xinfang.tracking"
    label = "tracking"
    verbose_name = "进度查询 Tracking"
