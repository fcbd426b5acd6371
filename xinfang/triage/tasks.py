"""The job after intake (DESIGN invariant 1: intake never waits for it or fails because of it)."""

from __future__ import annotations

from django_tasks import task

from xinfang.cases.models import Case


@task()
def case_triage_task(*, case_id: int) -> None:
    """Record the dispatch catalogue's routing proposal, then the triage suggestions."""
    from xinfang.cases.routing import case_route_suggest
    from xinfang.triage.services import case_triage

    case = Case.objects.select_related("region").filter(pk=case_id).first()
    if case is None:
        return
    case_route_suggest(case=case)  # first, and on its own: triage failing must not lose it
    case_triage(case=case)


@task()
def text_band_purge_task() -> int:
    """Band keys of deleted cases carry no foreign key (the table would double with its index);
    they match nothing but take space until this daily clean-up."""
    from xinfang.triage.services import text_band_purge

    return text_band_purge()


@task()
def hot_issues_refresh_task() -> dict[str, int]:
    """Hourly: recluster the last 30 days' petitions into hot issues, alert on fast growth."""
    from dataclasses import asdict

    from xinfang.triage.hotwatch import hot_issues_refresh

    return asdict(hot_issues_refresh())
