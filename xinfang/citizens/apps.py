from django.apps import AppConfig


class CitizensConfig(AppConfig):
    name = "xinfang.citizens"
    label = "citizens"
    verbose_name = "公众门户 Citizens' portal"

    def ready(self) -> None:
        from xinfang.citizens import checks  # noqa: F401  # registers the deploy check
