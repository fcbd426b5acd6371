"""What the case page shows, assembled from selectors: masked people, clocks, documents,
the timeline and the responsibility chain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from xinfang.cases.models import (
    Case,
    CaseRequest,
    ClockKind,
    EventKind,
    Outcome,
    RequestStatus,
)
from xinfang.cases.selectors import case_acting_org
from xinfang.catalog.models import Category
from xinfang.core.validators import mask_address, mask_id_number, mask_name, mask_phone
from xinfang.documents.selectors import document_list_for_case
from xinfang.handling.joint import group_of
from xinfang.handling.selectors import responsibility_chain
from xinfang.orgs.models import Org
from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import StaffScope

REVEAL = frozenset({Perm.IDENTITY_REVEAL})


@dataclass(frozen=True)
class Person:
    name: str
    phone: str
    id_number: str
    address: str
    is_main: bool


def _people(case: Case, *, masked: bool) -> list[Person]:
    rows = []
    for p in case.petitioners.all():
        if masked:
            rows.append(
                Person(
                    mask_name(p.name),
                    mask_phone(p.phone),
                    mask_id_number(p.id_number),
                    mask_address(p.address) if p.address else "",
                    p.is_main,
                )
            )
        else:
            rows.append(Person(p.name, p.phone, p.id_number, p.address, p.is_main))
    return rows


def can_reveal(*, case: Case, scope: StaffScope) -> bool:
    """Reveal needs the perm, a unit that must contact the petitioner, and — for accusations —
    a unit outside the accused one (DOMAIN P-1, P-2)."""
    if case.is_anonymous:
        return False
    org = case_acting_org(case=case, scope=scope, perms=REVEAL)
    if org is None:
        return False
    accused = case.accused_org
    return accused is None or not org.path.startswith(accused.path)


def identity_reveal(*, case: Case, scope: StaffScope) -> list[Person] | None:
    return _people(case, masked=False) if can_reveal(case=case, scope=scope) else None


# The labels of the request fields, in the order the approver reads them.
REQUEST_LABELS: dict[str, Any] = {
    "days": _("延期天数"),
    "reason": _("延期理由"),
    "request": _("信访请求"),
    "facts": _("查明的事实"),
    "reasons": _("处理理由"),
    "outcome": _("处理结果"),
    "legal_basis": _("法律依据"),
    "opinion": _("具体处理意见"),
}


def request_rows(request: CaseRequest) -> list[tuple[str, str]]:
    """What the unit head approves, field by field (the outcome by its name, not its code)."""
    rows = []
    for key, label in REQUEST_LABELS.items():
        value = request.fields.get(key)
        if value in (None, ""):
            continue
        if key == "outcome" and value in Outcome.values:
            value = Outcome(value).label
        rows.append((str(label), str(value)))
    return rows


def _requests(case: Case) -> list[CaseRequest]:
    """The pending request first, then the last few decided ones with their notes."""
    rows = case.requests.select_related("requested_by", "decided_by")
    pending = list(rows.filter(status=RequestStatus.PENDING))
    return pending + list(rows.exclude(status=RequestStatus.PENDING).order_by("-pk")[:3])


def action_initial(*, case: Case) -> dict[str, dict[str, Any]]:
    """Forms pre-filled from what the system proposes: the dispatch catalogue's lead unit."""
    suggestion = case.events.filter(kind=EventKind.ROUTE_SUGGESTED).order_by("-pk").first()
    lead = Org.objects.filter(pk=suggestion.payload.get("lead_org")).first() if suggestion else None
    initial: dict[str, dict[str, Any]] = {"forward": {"to_org": lead.code}} if lead else {}
    triage = case.events.filter(kind=EventKind.TRIAGE).order_by("-pk").first()
    if triage is not None:
        proposal = triage.payload.get("category", {})
        # The likeliest leaf when triage found one still in the catalogue, else the first level.
        leaf = next(iter(proposal.get("leaves") or []), None)
        top = Category.objects.filter(code=leaf["code"], is_active=True).first() if leaf else None
        top = top or Category.objects.filter(level=1, name=proposal.get("label", "")).first()
        place = triage.payload.get("location") or {}
        chosen = case.category or top
        initial["classify"] = {
            "category": chosen.code if chosen is not None else None,
            "region": place.get("code") or case.region.code,
        }
        # 联名/并单: the closest near-identical petition of someone else.
        similar = triage.payload.get("similar") or []
        if similar and similar[0].get("item_number"):
            initial["link_group"] = initial["merge"] = {"into": similar[0]["item_number"]}
    return initial


FAST_LABELS: dict[str, Any] = {
    "wages": _("拖欠工资"),
    "poverty": _("扶贫帮困"),
    "livelihood": _("水电气暖"),
    "safety": _("安全隐患"),
}


def _triage(case: Case) -> dict[str, Any] | None:
    """The suggestions triage recorded after intake, for the registrar to confirm."""
    event = case.events.filter(kind=EventKind.TRIAGE).order_by("-pk").first()
    if event is None:
        return None
    data = dict(event.payload)
    data["fast"] = [{**f, "label": FAST_LABELS.get(f["kind"], f["kind"])} for f in data["fast"]]
    data["top"] = [(name, round(p * 100)) for name, p in data["category"]["top"]]
    data["leaves"] = [
        {**leaf, "path": leaf["path"].replace("/", " › "), "pct": round(leaf["score"] * 100)}
        for leaf in data["category"].get("leaves", [])
    ]
    return data


def case_page(*, case: Case, scope: StaffScope) -> dict[str, Any]:
    clocks = list(case.clocks.select_related("org", "profile").order_by("started_at", "pk"))
    return {
        "people": _people(case, masked=True),
        "can_reveal": can_reveal(case=case, scope=scope),
        "clocks": [(c, ClockKind(c.kind).label) for c in clocks],
        "documents": document_list_for_case(case=case),
        "events": list(
            case.events.select_related("actor", "actor_org").order_by("created_at", "pk")
        ),
        "chain": responsibility_chain(case=case),
        "supervisions": list(case.supervisions.select_related("target_org").order_by("pk")),
        "ratings": list(case.ratings.select_related("org").order_by("round", "party")),
        "requests": [(r, request_rows(r)) for r in _requests(case)],
        "triage": _triage(case),
        "group": group_of(case) if case.group_root_id else [],
        "attachments": list(case.attachments.order_by("created_at", "pk")),
    }
