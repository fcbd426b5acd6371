"""Reads for the moderation queue: which publications a staff user may moderate.

Moderators are bureau supervisors (Perm.CASE_SUPERVISE); they see the publications of cases in
their region, and only the redacted proposal — the case's own text stays behind the workbench's
scoped case page.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from xinfang.board.models import Publication, PublicationStatus, PublicationVersion
from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import staff_scope


def _moderation_q(*, user: object) -> Q | None:
    """A Q over Publication for the user's moderation regions; None: moderates nothing."""
    scope = staff_scope(user=user)
    if scope.see_all:
        return Q()
    prefixes = sorted(
        m.region_prefix
        for m in scope.memberships
        if Perm.CASE_SUPERVISE in m.perms and m.region_prefix
    )
    if not prefixes:
        return None
    q = Q()
    for prefix in prefixes:
        q |= Q(region_code__startswith=prefix)
    return q


def publication_list_for_moderator(
    *, user: object, status: PublicationStatus = PublicationStatus.PENDING
) -> QuerySet[Publication]:
    """Publications in `status` the user may moderate, oldest proposal first."""
    q = _moderation_q(user=user)
    if q is None:
        return Publication.objects.none()
    return (
        Publication.objects.filter(q, status=status)
        .select_related("case", "category", "unit")
        .prefetch_related(
            Prefetch("versions", queryset=PublicationVersion.objects.order_by("number"))
        )
        .order_by("received_at", "pk")
    )


def publication_get_for_moderator(*, user: object, publication_id: int) -> Publication | None:
    """One publication in the user's moderation scope, whatever its status; else None (404)."""
    q = _moderation_q(user=user)
    if q is None:
        return None
    return (
        Publication.objects.filter(q, pk=publication_id)
        .select_related("case__petition_type", "case__region", "category", "unit")
        .first()
    )


def publication_versions(*, publication: Publication) -> list[PublicationVersion]:
    """Every version, newest first, with who proposed and approved it."""
    return list(
        publication.versions.select_related("created_by", "approved_by").order_by("-number")
    )
