from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "xinfang.notify"
    verbose_name = "通知 Notifications"

    def ready(self) -> None:
        # Every new case event is offered to the outbox inside its own transaction.
        from xinfang.cases.services import EVENT_LISTENERS
        from xinfang.notify.services import on_case_event

        if on_case_event not in EVENT_LISTENERS:
            EVENT_LISTENERS.append(on_case_event)
