"""Seeding of the demo installation (make run)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from xinfang.cases.models import Case
from xinfang.cases.services import case_create, case_transition
from xinfang.cases.tasks import case_suggest_route
from xinfang.cases.workflow import CaseStatus
from xinfang.catalog.models import Category
from xinfang.demo import generator
from xinfang.intake.services import petition_build
from xinfang.intake.validation import validate_petition
from xinfang.orgs.models import Region, RegionLevel


def _leaf_codes() -> dict[str, list[str]]:
    leaves: dict[str, list[str]] = {}
    for code, top_name in Category.objects.filter(level=3).values_list(
        "code", "parent__parent__name"
    ):
        leaves.setdefault(top_name, []).append(code)
    return leaves


def _places() -> list[Region]:
    """Counties everywhere plus Changsha's townships, weighted towards the capital."""
    counties = list(Region.objects.filter(level=RegionLevel.COUNTY).select_related("parent"))
    townships = list(Region.objects.filter(level=RegionLevel.TOWNSHIP).select_related("parent"))
    return counties + townships


def petitions_create(*, count: int, seed: int = 2026, progress: Callable[[str], None]) -> int:
    """Create `count` demo petitions over the last 90 days; about 60% already registered."""
    rng = random.Random(seed)
    leaves = _leaf_codes()
    places = _places()
    now = timezone.now()
    for i in range(count):
        region = rng.choice(places)
        gen = generator.petition(rng, region_code=region.code, place=region.name, now=now)
        if gen.category_name in leaves:
            gen.data["category_code"] = rng.choice(leaves[gen.category_name])
        _store(gen, rng)
        if (i + 1) % 100 == 0:
            progress(f"{i + 1}/{count} petitions")
    return count


@transaction.atomic
def _store(gen: generator.Generated, rng: random.Random) -> Case:
    valid = validate_petition(gen.data)
    new = petition_build(
        valid, channel=gen.channel, received_at=gen.received_at, extra={"demo": True}
    )
    case, _ = case_create(data=new)
    case_suggest_route.enqueue(case_id=case.pk)
    if gen.received_at < timezone.now() - timedelta(days=2) and rng.random() < 0.6:
        registered_at = gen.received_at + timedelta(hours=rng.randint(1, 72))
        case_transition(
            case=case,
            to=CaseStatus.REGISTERED,
            actor=None,
            actor_org=new.register_org,
            reason="演示数据",
            at=registered_at,
        )
    return case
