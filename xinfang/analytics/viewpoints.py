"""Where a staff user's dashboards may look (统计范围), from their memberships.

A user with the statistics permission at a petition bureau — or in a regional role, such as a
bureau supervisor — sees the figures of the bureau's whole region and may narrow them to any
division inside it (province → city → county → township). At any other unit the permission
covers that unit alone. Superusers see the province. Figures are aggregates, so this is wider
than case access (an analyst reads no case), but never wider than the user's region.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from xinfang.orgs.models import Org, OrgKind, Region, RegionLevel
from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import region_get, staff_scope

LEVEL_LABELS = {
    RegionLevel.PROVINCE: _("省级"),
    RegionLevel.CITY: _("市级"),
    RegionLevel.COUNTY: _("县级"),
    RegionLevel.TOWNSHIP: _("乡级"),
}
UNIT_LABEL = _("单位")


@dataclass(frozen=True, slots=True)
class Viewpoint:
    """A region with everything in it, or one unit (`org`) on its own."""

    region: Region
    org: Org | None = None

    @property
    def level(self) -> str:
        """province | city | county | township | unit (the template and tests key on it)."""
        if self.org is not None:
            return "unit"
        return RegionLevel(self.region.level).name.lower()

    @property
    def level_label(self) -> str:
        if self.org is not None:
            return str(UNIT_LABEL)
        return str(LEVEL_LABELS[RegionLevel(self.region.level)])

    @property
    def name(self) -> str:
        return self.org.name if self.org is not None else self.region.full_name or self.region.name

    @property
    def key(self) -> str:
        """Stable text for cache keys and logs."""
        return f"org:{self.org.pk}" if self.org is not None else f"region:{self.region.code}"

    def covers(self, region: Region) -> bool:
        return self.org is None and region.code.startswith(self.region.prefix)


def stats_roots(*, user: object) -> list[Viewpoint]:
    """The widest views the user may open, widest first; empty without the permission."""
    scope = staff_scope(user=user)
    if scope.see_all:
        top = Region.objects.filter(parent__isnull=True).order_by("code").first()
        return [Viewpoint(region=top)] if top is not None else []
    roots: list[Viewpoint] = []
    for acting in scope.memberships:
        if Perm.STATS_VIEW not in acting.perms:
            continue
        org = acting.org
        regional = bool(acting.region_prefix) or org.kind == OrgKind.PETITION_BUREAU
        roots.append(Viewpoint(region=org.region, org=None if regional else org))
    # Regions before units, wider regions first; a region inside another adds nothing.
    roots.sort(key=lambda v: (v.org is not None, len(v.region.prefix), v.region.code))
    kept: list[Viewpoint] = []
    for v in roots:
        if v.org is None and any(k.covers(v.region) for k in kept):
            continue
        if v.org is not None and any(k.covers(v.org.region) or k.org == v.org for k in kept):
            continue
        kept.append(v)
    return kept


def viewpoint_resolve(
    *, roots: list[Viewpoint], region_code: str = "", org_id: int | None = None
) -> Viewpoint | None:
    """The view asked for (a unit, a division, or by default the widest root), or None when it
    lies outside every root (or does not exist)."""
    if org_id is not None:
        org = Org.objects.select_related("region").filter(pk=org_id).first()
        if org is None:
            return None
        if any(r.org == org or r.covers(org.region) for r in roots):
            return Viewpoint(region=org.region, org=org)
        return None
    if region_code:
        region = region_get(code=region_code)
        if region is None or not any(r.covers(region) for r in roots):
            return None
        return Viewpoint(region=region)
    return roots[0] if roots else None


def region_trail(*, view: Viewpoint, roots: list[Viewpoint]) -> list[Region]:
    """The divisions from the user's root down to the view's region (the breadcrumb)."""
    chain: list[Region] = []
    region: Region | None = view.region
    while region is not None:
        chain.append(region)
        if any(r.org is None and r.region.pk == region.pk for r in roots):
            break
        region = region.parent
    return list(reversed(chain))
