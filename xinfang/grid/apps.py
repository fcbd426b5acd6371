from django.apps import AppConfig


class GridConfig(AppConfig):
    name = "xinfang.grid"
    verbose_name = "代理与网格 Proxies and grid"
