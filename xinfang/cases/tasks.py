"""Background jobs on cases. Thin: they load by id and call a service (STYLE §8.2 rule 9)."""

from __future__ import annotations

from django_tasks import task

from xinfang.cases.models import Case


@task()
def case_suggest_route(*, case_id: int) -> None:
    """Record the dispatch catalogue's proposal for who should handle the case."""
    from xinfang.cases.routing import case_route_suggest

    case = Case.objects.filter(pk=case_id).first()
    if case is not None:
        case_route_suggest(case=case)


@task()
def case_deadlines_recompute_task() -> int:
    """After the holiday table changed: move provisional deadlines that depended on it."""
    from xinfang.cases.services import case_deadlines_recompute

    return case_deadlines_recompute()


def on_calendar_changed(sender: object, **kwargs: object) -> None:
    case_deadlines_recompute_task.enqueue()
