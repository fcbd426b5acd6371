"""Board jobs: propose one case, and the periodic sweep that proposes every due case."""

from __future__ import annotations

from django_tasks import task

from xinfang.cases.models import Case


@task()
def publication_propose_task(*, case_id: int) -> bool:
    """Propose the case for the board if it qualifies; True when a Publication exists after."""
    from xinfang.board.services import publication_propose

    case = Case.objects.select_related("petition_type", "region", "category").filter(pk=case_id)
    found = case.first()
    return found is not None and publication_propose(case=found) is not None


@task()
def publications_propose_due_task() -> int:
    """Every 10 minutes: cases with consent and a written reply that have no proposal yet."""
    from xinfang.board.services import publications_propose_due

    return publications_propose_due()
