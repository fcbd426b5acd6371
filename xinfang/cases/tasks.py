"""Background jobs on cases. Thin: they load by id and call a service (STYLE §8.2 rule 9)."""

from __future__ import annotations

from django_tasks import task


@task()
def case_deadlines_recompute_task() -> int:
    """After the holiday table changed: move provisional deadlines that depended on it."""
    from xinfang.cases.services import case_deadlines_recompute

    return case_deadlines_recompute()


def on_calendar_changed(sender: object, **kwargs: object) -> None:
    case_deadlines_recompute_task.enqueue()
