"""Routing suggestions from the dispatch catalogue (category × region → lead unit)."""

from __future__ import annotations

from xinfang.cases.models import Case, CaseEvent, EventKind
from xinfang.cases.services import case_event_append
from xinfang.catalog.selectors import dispatch_lookup
from xinfang.orgs.models import OrgKind
from xinfang.orgs.selectors import org_nearest


def case_route_suggest(*, case: Case) -> CaseEvent | None:
    """Append a ROUTE_SUGGESTED event once; staff confirm or correct it in the workflow."""
    if case.events.filter(kind=EventKind.ROUTE_SUGGESTED).exists():
        return None  # jobs may run twice; the suggestion is recorded once
    rule = dispatch_lookup(category=case.category, region=case.region)
    if rule is not None:
        payload = {
            "lead_org": rule.lead_org_id,
            "lead_org_name": rule.lead_org.name,
            "co_orgs": list(rule.co_orgs.values_list("pk", flat=True)),
            "source": "dispatch_catalogue",
            "rule": rule.pk,
        }
    else:
        # 兜底: the people's government of the county (or the nearest level above).
        fallback = org_nearest(kind=OrgKind.GOVERNMENT, region=case.region)
        if fallback is None:
            return None
        payload = {
            "lead_org": fallback.pk,
            "lead_org_name": fallback.name,
            "co_orgs": [],
            "source": "fallback_government",
        }
    return case_event_append(case=case, kind=EventKind.ROUTE_SUGGESTED, payload=payload)
