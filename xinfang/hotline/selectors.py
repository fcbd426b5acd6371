"""Reads for the hotline: the caller's earlier petitions, name look-ups for imported values,
the routing proposal shown while the agent types, and the petitions to export."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet

from xinfang.cases.models import Case, Channel, Petitioner
from xinfang.cases.selectors import case_list_for_user
from xinfang.catalog.models import Category
from xinfang.catalog.selectors import category_get, dispatch_lookup
from xinfang.citizens.services import phone_index
from xinfang.core import validators as v
from xinfang.orgs.models import Org, OrgKind, Region
from xinfang.orgs.selectors import org_nearest, region_get
from xinfang.triage.gazetteer import locate, location_is_sure

CALLER_HISTORY_LIMIT = 20


def caller_petitions(*, user: object, phone: str) -> list[Case]:
    """The caller's earlier petitions that this agent may read (scoped, newest first)."""
    normalized = v.normalize_phone(phone)
    if v.check_phone(normalized) is not None:
        return []
    ids = Petitioner.objects.filter(phone_index=phone_index(normalized)).values("case_id")
    return list(case_list_for_user(user=user).filter(pk__in=ids)[:CALLER_HISTORY_LIMIT])


def region_resolve(*, value: str) -> Region | str:
    """A region from a division code, a name or full name, or a place named in the text;
    "ambiguous" or "unknown" when it cannot be told."""
    value = value.strip()
    if value.isdigit():
        region = region_get(code=value)
        return region if region is not None else "unknown"
    province = settings.XINFANG_PROVINCE
    exact = list(
        Region.objects.filter(code__startswith=province, name=value)[:2]
        or Region.objects.filter(code__startswith=province, full_name=value)[:2]
    )
    if len(exact) == 1:
        return exact[0]
    if exact:
        return "ambiguous"
    found = locate(value, within=province)
    if found is None or not location_is_sure(found):
        return "unknown" if found is None else "ambiguous"
    return region_get(code=found.code) or "unknown"


def region_name_unique(*, region: Region) -> bool:
    """Whether the region's short name alone finds it again (else export writes its code)."""
    same = Region.objects.filter(code__startswith=settings.XINFANG_PROVINCE, name=region.name)
    return same.count() == 1


def category_resolve(*, value: str) -> Category | str:
    """A category by code or by name (the shallowest level wins where a name repeats)."""
    value = value.strip()
    if value.isdigit():
        return category_get(code=value) or "unknown"
    found = list(Category.objects.filter(name=value, is_active=True).order_by("level", "code")[:2])
    if not found:
        return "unknown"
    if len(found) == 2 and found[0].level == found[1].level:
        return "ambiguous"
    return found[0]


def category_by_label(*, label: str) -> Category | None:
    """The first-level category the classifier's label names."""
    return Category.objects.filter(level=1, name=label, is_active=True).first()


def lead_proposal(*, category: Category | None, region: Region) -> Org | None:
    """The unit the dispatch catalogue names for the matter, else the county government
    (兜底): what cases.routing will propose once the petition exists."""
    rule = dispatch_lookup(category=category, region=region)
    if rule is not None:
        return rule.lead_org
    return org_nearest(kind=OrgKind.GOVERNMENT, region=region)


def hotline_cases(
    *, since: datetime | None, until: datetime | None, user: object | None = None
) -> QuerySet[Case]:
    """Hotline petitions received in [since, until), with what export writes; a staff user
    gets only those in scope, the command line (user None) all of them."""
    qs = case_list_for_user(user=user) if user is not None else Case.objects.all()
    qs = qs.filter(channel=Channel.HOTLINE)
    # The call time where the work order has one (an import's receipt time is the import's).
    if since is not None:
        qs = qs.filter(
            Q(work_order__called_at__gte=since) | Q(work_order__isnull=True, received_at__gte=since)
        )
    if until is not None:
        qs = qs.filter(
            Q(work_order__called_at__lt=until) | Q(work_order__isnull=True, received_at__lt=until)
        )
    main = Prefetch("petitioners", queryset=Petitioner.objects.filter(is_main=True))
    return (
        qs.select_related("petition_type", "region", "category", "work_order")
        .prefetch_related(main)
        .order_by("received_at", "pk")
    )
