from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "xinfang.notify"
    verbose_name = "通知 Notifications"
