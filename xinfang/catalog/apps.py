from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "xinfang.catalog"
    label = "catalog"
    verbose_name = "目录 Catalogues"
