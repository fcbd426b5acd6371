from django.apps import AppConfig


class ClockConfig(AppConfig):
    name = "xinfang.clock"
    label = "clock"
    verbose_name = "办理时限 Calendar and deadlines"
