from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "xinfang.triage"
    verbose_name = "分拣 Triage"
