"""Seeding of the demo installation (make run)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from xinfang.cases.models import Case
from xinfang.cases.services import case_create, case_transition
from xinfang.cases.workflow import CaseStatus
from xinfang.catalog.models import Category
from xinfang.demo import generator
from xinfang.intake.services import petition_build
from xinfang.intake.validation import validate_petition
from xinfang.orgs.models import Region, RegionLevel
from xinfang.triage.tasks import case_triage_task

HOME = "430102"  # 芙蓉区, where the demo staff work
HOME_DAYS = 60
OTHER_DAYS = 12


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
    # The demo staff work in 芙蓉区: give it a fair share of the petitions.
    home = [r for r in counties if r.code == HOME] * (len(counties) // 3)
    return counties + townships + home


def petitions_create(*, count: int, seed: int = 2026, progress: Callable[[str], None]) -> int:
    """Create `count` demo petitions (the demo county's over 60 days, others over 12); about
    60% of those older than two days already registered."""
    rng = random.Random(seed)
    leaves = _leaf_codes()
    places = _places()
    now = timezone.now()
    for i in range(count):
        region = rng.choice(places)
        # Outside the demo county nobody works the cases, so they are recent (no 15-day routing
        # clock has run out yet); the demo county's go back further and are walked onwards.
        days = HOME_DAYS if region.code == HOME else OTHER_DAYS
        gen = generator.petition(
            rng, region_code=region.code, place=region.name, now=now, days=days
        )
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
    case_triage_task.enqueue(case_id=case.pk)
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


# How far the demo walks registered 芙蓉区 petitions, as (share, last step) in step order.
STAGES: list[tuple[float, str]] = [
    (0.25, "registered"),
    (0.20, "forwarded"),
    (0.15, "accepted"),
    (0.15, "handling"),
    (0.05, "extension_requested"),
    (0.10, "replied"),
    (0.10, "rated"),
]
DEMO_REPLY = {
    "request": "请求有关部门依法处理所反映的问题。",
    "facts": "经调查核实，信访人反映的情况基本属实。",
    "reasons": "依据有关法律法规和政策规定，相关责任单位应当依法履职。",
    "outcome": "support",
    "legal_basis": "《信访工作条例》第三十二条",
}


def workflow_walk(*, seed: int = 2026, progress: Callable[[str], None]) -> int:
    """Walk the demo county's registered petitions through the workflow as the demo staff
    would, so every queue of the demo accounts has work in it. Returns how many moved."""
    from xinfang.orgs.models import Org, User

    unit = Org.objects.filter(code="430102-ZJ").first()
    staff = {
        u.username: u for u in User.objects.filter(username__in=["registrar", "handler", "leader"])
    }
    if unit is None or len(staff) < 3:
        return 0
    rng = random.Random(seed)
    cases = list(
        # Accusations wait for the registrar to name the accused unit and route them.
        Case.objects.filter(status=CaseStatus.REGISTERED, register_org__code="430102-XFJ")
        .exclude(petition_type__kind="accusation")
        .select_related("petition_type", "region")
        .order_by("pk")
    )
    for case in cases:
        _walk(case, _stage(rng), unit, staff)
    progress(f"{len(cases)} demo petitions walked through the workflow")
    return len(cases)


def _stage(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for share, stage in STAGES:
        total += share
        if roll < total:
            return stage
    return STAGES[-1][1]


@transaction.atomic
def _walk(case: Case, stage: str, unit: Any, staff: dict[str, Any]) -> None:
    from xinfang.cases.models import RequestKind
    from xinfang.handling import services as h
    from xinfang.handling.evaluation import case_rate
    from xinfang.handling.models import RatingParty, RatingValue

    order = [s for _, s in STAGES]
    reached = order.index(stage)
    if reached < order.index("forwarded"):
        return
    case = h.case_forward(case=case, actor=staff["registrar"], to_org=unit, reason="演示数据")
    if reached >= order.index("accepted"):
        case = h.case_accept(case=case, actor=staff["handler"])
    if reached >= order.index("handling"):
        case = h.case_start(case=case, actor=staff["handler"])
    if reached == order.index("extension_requested"):
        h.case_request(
            case=case,
            actor=staff["handler"],
            kind=RequestKind.EXTENSION,
            fields={"days": 15, "reason": "需要补充调查"},
        )
        return
    if reached >= order.index("replied"):
        request = h.case_request(
            case=case, actor=staff["handler"], kind=RequestKind.REPLY, fields=DEMO_REPLY
        )
        h.case_request_decide(request=request, actor=staff["leader"], approve=True)
    if reached >= order.index("rated"):
        case.refresh_from_db()
        case_rate(
            case=case,
            values={
                RatingParty.BUREAU: RatingValue.SATISFIED,
                RatingParty.UNIT: RatingValue.DISSATISFIED,
            },
            reason="问题尚未完全解决",
        )


def board_publish(*, progress: Callable[[str], None]) -> int:
    """Propose the demo's publishable cases (consented, answered, not accusations) and approve
    them as the province's supervisor, so the public board has something to show. A proposal
    the service refuses stays in the moderation queue. Returns how many were published."""
    from xinfang.board.models import Publication, PublicationStatus
    from xinfang.board.services import publication_approve, publications_propose_due
    from xinfang.core.errors import ApplicationError
    from xinfang.orgs.models import User

    supervisor = User.objects.filter(username="supervisor").first()
    if supervisor is None:
        return 0
    publications_propose_due()
    published = 0
    for publication in Publication.objects.filter(status=PublicationStatus.PENDING):
        try:
            publication_approve(publication=publication, actor=supervisor)
        except ApplicationError:
            continue
        published += 1
    progress(f"{published} demo petitions published on the board")
    return published
