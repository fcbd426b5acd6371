"""Reads over the catalogues. Small, hot reference tables are cached per process briefly."""

from __future__ import annotations

from django.db.models import QuerySet

from xinfang.catalog.models import Category, DispatchRule, PetitionType
from xinfang.core import refcache
from xinfang.core.trees import ancestors
from xinfang.orgs.models import Region
from xinfang.orgs.selectors import region_ancestors


def category_get(*, code: str) -> Category | None:
    return refcache.cached(
        "category", code, lambda: Category.objects.filter(code=code, is_active=True).first()
    )


def petition_type_get(*, code: str) -> PetitionType | None:
    return refcache.cached(
        "ptype", code, lambda: PetitionType.objects.filter(code=code, is_active=True).first()
    )


def petition_type_list() -> QuerySet[PetitionType]:
    return PetitionType.objects.filter(is_active=True)


def category_tree(*, parent_code: str | None = None) -> QuerySet[Category]:
    qs = Category.objects.filter(is_active=True)
    if parent_code:
        return qs.filter(parent__code=parent_code)
    return qs.filter(level=1)


def category_ancestors(*, category: Category) -> list[Category]:
    return ancestors(category)


def dispatch_lookup(*, category: Category | None, region: Region) -> DispatchRule | None:
    """The most specific dispatch rule: the nearest region first, then the deepest category.

    Locality wins over subject because 属地管理 comes first in the routing principle
    ("属地管理、分级负责，谁主管、谁负责", 信访工作条例 Art. 22).
    """
    regions = region_ancestors(region=region)
    categories: list[Category | None] = [
        *(category_ancestors(category=category) if category else []),
        None,
    ]
    rules = DispatchRule.objects.filter(is_active=True, region__in=regions).select_related(
        "lead_org", "region", "category"
    )
    by_key = {(r.region_id, r.category_id): r for r in rules}
    for reg in regions:
        for cat in categories:
            rule = by_key.get((reg.pk, cat.pk if cat else None))
            if rule:
                return rule
    return None
