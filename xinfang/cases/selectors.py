"""Reads for petitions. Every staff read goes through a scoped selector (DESIGN invariant 4)."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Exists, OuterRef, QuerySet

from xinfang.cases.models import Case, CaseAccess, CaseEvent, Petitioner
from xinfang.cases.workflow import PERM_RELATIONS, REGIONAL_PERMS
from xinfang.orgs.models import Org
from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import StaffScope, org_scope_q, staff_scope


def _visible(scope: StaffScope) -> QuerySet[Case]:
    if scope.see_all:
        return Case.objects.all()
    if scope.is_empty:
        return Case.objects.none()
    access = CaseAccess.objects.filter(case=OuterRef("pk"), is_active=True).filter(
        org_scope_q(scope=scope, prefix="org__")
    )
    # The registering organ is on the case row itself, so intake writes no access row for it.
    return Case.objects.filter(org_scope_q(scope=scope, prefix="register_org__") | Exists(access))


def case_relations(*, case: Case) -> dict[int, set[str]]:
    """Unit id → its active relations to the case ("register" for the registering organ)."""
    relations: dict[int, set[str]] = {case.register_org_id: {"register"}}
    rows = CaseAccess.objects.filter(case=case, is_active=True).values_list("org_id", "relation")
    for org_id, relation in rows:
        relations.setdefault(org_id, set()).add(relation)
    return relations


def case_acting_org(
    *,
    case: Case,
    scope: StaffScope,
    perms: frozenset[Perm],
    relations: Mapping[int, set[str]] | None = None,
    only: frozenset[str] | None = None,
) -> Org | None:
    """The unit through which a staff member may use one of `perms` on `case`, if any.

    A membership counts when its role grants the perm and its unit stands in a relation to the
    case that the perm works through (workflow.PERM_RELATIONS); regional roles also act on
    cases in their region for supervision and revisits. `only` narrows the relations to those
    a particular move requires (workflow.MOVE_RELATIONS).
    """
    relations = case_relations(case=case) if relations is None else relations
    for membership in scope.memberships:
        for perm in sorted(perms & membership.perms):
            allowed = PERM_RELATIONS.get(perm, frozenset()) if only is None else only
            if relations.get(membership.org_id, set()) & allowed:
                return membership.org
            prefix = membership.region_prefix
            regional = perm in REGIONAL_PERMS and only is None
            if regional and prefix and case.region.code.startswith(prefix):
                return membership.org
    return case.register_org if scope.see_all and perms else None


def case_list_for_user(*, user: object) -> QuerySet[Case]:
    """The cases this staff user may see, newest first; empty for anyone without a scope."""
    return (
        _visible(staff_scope(user=user))
        .select_related("petition_type", "region", "register_org", "category")
        .order_by("-received_at", "-pk")
    )


def case_get_for_user(*, user: object, case_id: int) -> Case | None:
    """One case if in scope, else None (callers answer 404, never 403: no existence leak)."""
    return case_list_for_user(user=user).filter(pk=case_id).first()


def query_code_normalize(query_code: str) -> str:
    """The stored form of a query code as a citizen may type it (case, spaces, dashes)."""
    return "".join(query_code.split()).replace("-", "").upper()


def case_get_by_query_code(*, query_code: str) -> Case | None:
    code = query_code_normalize(query_code)
    return Case.objects.select_related("petition_type", "region").filter(query_code=code).first()


def case_public_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    return case.events.filter(is_public=True).order_by("created_at", "pk")


def case_main_petitioner(*, case: Case) -> Petitioner | None:
    return case.petitioners.filter(is_main=True).order_by("seq").first()
