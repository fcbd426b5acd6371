from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "xinfang.cases"
    label = "cases"
    verbose_name = "信访件 Petitions"

    def ready(self) -> None:
        # Connected here so the clock app need not know that cases keep clocks.
        from xinfang.cases.tasks import on_calendar_changed
        from xinfang.clock.signals import calendar_changed

        calendar_changed.connect(on_calendar_changed, dispatch_uid="cases.calendar_changed")
