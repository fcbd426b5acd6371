"""Hot issues in the product (热点问题): the periodic refresh of the stored snapshot, the
growth alert to the petition bureau, and the staff page's read.

`hotspots.hot_issues` clusters a list of petitions in memory; here the list is the last
`window_days` of the database's petitions, one city at a time. A city (地级) is the scope
because a housing estate's or a road's complaints stay within one, and it bounds the O(n²)
clustering: each scope clusters at most its newest `XINFANG_HOT_MAX_ITEMS` petitions.
Petitions placed at province level form the province's own scope.

Each scope's issues are replaced in one transaction, so the page never shows half a refresh.
A cluster that `growth_alerts` flags raises one staff alert to the scope's petition bureau;
the alert is not repeated while the same cluster keeps growing (a growing cluster sharing a
petition with one already alerted is the same cluster: members join and age out, so no single
id or label stays fixed), and a cluster that stops growing and later surges again alerts again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from xinfang.cases.models import Case
from xinfang.cases.selectors import case_list_for_user
from xinfang.handling.models import AlertKind
from xinfang.handling.supervision import alert
from xinfang.orgs.models import Region, RegionLevel
from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import bureau_for_region, region_ancestors, staff_scope
from xinfang.triage import hotspots
from xinfang.triage.models import HotIssue, HotIssueMember

WINDOW_DAYS = 30
MIN_SIZE = 3  # a "hot" issue needs at least three petitions
PAGE_ISSUES = 50
PAGE_MEMBERS = 20  # the member cases listed under one issue


@dataclass(frozen=True, slots=True)
class RefreshResult:
    scopes: int  # scopes whose snapshot was replaced (cleared ones included)
    petitions: int  # petitions clustered
    issues: int  # issues stored
    alerts: int  # growth alerts raised


def hot_issues_refresh(
    *,
    now: datetime | None = None,
    window_days: int = WINDOW_DAYS,
    min_size: int = MIN_SIZE,
    max_items: int | None = None,
) -> RefreshResult:
    """Recompute every scope's hot issues from the petitions received in the `window_days`
    before `now`; scopes left with no petition in the window are cleared."""
    now = now or timezone.now()
    start = now - timedelta(days=window_days)
    cap = max_items or settings.XINFANG_HOT_MAX_ITEMS
    window = Case.objects.filter(received_at__gt=start, received_at__lte=now)
    scopes = _scopes(window)
    petitions = issues = alerts = 0
    for scope, codes in scopes.values():
        items = _items(window, codes, cap)
        found = hotspots.hot_issues(items, now=now, window_days=window_days, min_size=min_size)
        petitions += len(items)
        issues += len(found)
        alerts += _snapshot_replace(scope=scope, found=found, now=now)
    # Scopes with issues stored but no petition left in the window: cleared.
    gone = list(
        Region.objects.filter(
            pk__in=HotIssue.objects.exclude(region_id__in=list(scopes)).values("region_id")
        )
    )
    for scope in gone:
        _snapshot_replace(scope=scope, found=[], now=now)
    return RefreshResult(
        scopes=len(scopes) + len(gone), petitions=petitions, issues=issues, alerts=alerts
    )


def _scope_of(region: Region) -> Region:
    """The city (or, above it, the province) a petition's region belongs to."""
    return next(r for r in region_ancestors(region=region) if r.level <= RegionLevel.CITY)


def _scopes(window: QuerySet[Case]) -> dict[int, tuple[Region, dict[int, str]]]:
    """Scope id → (scope, {region id: division code}) for the regions with petitions."""
    ids = set(window.order_by().values_list("region_id", flat=True).distinct())
    out: dict[int, tuple[Region, dict[int, str]]] = {}
    for region in Region.objects.filter(pk__in=ids).select_related("parent__parent__parent"):
        scope = _scope_of(region)
        out.setdefault(scope.pk, (scope, {}))[1][region.pk] = region.code
    return out


def _items(window: QuerySet[Case], codes: dict[int, str], cap: int) -> list[hotspots.HotItem]:
    # The newest `cap` only: the clustering's cost grows with the square of the count.
    rows = (
        window.filter(region_id__in=list(codes))
        .order_by("-received_at", "-pk")
        # Public support: board likes and "this is my issue too" (board.Support, per case).
        .annotate(support=Count("supports"))
        .values_list("pk", "title", "content", "received_at", "region_id", "support")[:cap]
    )
    # The region's code lets hotspots tell two townships apart.
    return [
        hotspots.HotItem(
            id=pk, title=title, text=content, created_at=at, region=codes[region], likes=n
        )
        for pk, title, content, at, region, n in rows
    ]


def _snapshot_replace(*, scope: Region, found: Sequence[hotspots.HotIssue], now: datetime) -> int:
    """Replace the scope's stored issues by `found`; returns the growth alerts raised."""
    growing = {h.ids for h in hotspots.growth_alerts(found)}
    with transaction.atomic():
        # Two refreshes of one scope at once (a job run twice) would both alert: the second
        # waits here and then sees the first one's alerted issues. NO KEY: petitions may still
        # be filed in the region meanwhile (their foreign key takes a KEY SHARE lock).
        Region.objects.select_for_update(no_key=True).filter(pk=scope.pk).first()
        alerted_before = set(
            HotIssueMember.objects.filter(
                issue__region=scope, issue__alerted=True, issue__is_growing=True
            ).values_list("case_id", flat=True)
        )
        HotIssue.objects.filter(region=scope).delete()
        rows, alerts = [], 0
        for h in found:
            is_growing = h.ids in growing
            alerted = is_growing and not alerted_before.isdisjoint(h.ids)
            if is_growing and not alerted:
                alerted = _growth_alert(scope=scope, issue=h)
                alerts += alerted
            rows.append(_row(scope, h, now, is_growing=is_growing, alerted=alerted))
        HotIssue.objects.bulk_create(rows)
        HotIssueMember.objects.bulk_create(
            [
                HotIssueMember(issue=row, case_id=i)
                for row, h in zip(rows, found, strict=True)
                for i in h.ids
            ],
            batch_size=1000,
        )
    return alerts


def _row(
    scope: Region, h: hotspots.HotIssue, now: datetime, *, is_growing: bool, alerted: bool
) -> HotIssue:
    return HotIssue(
        region=scope,
        computed_at=now,
        label=h.label[:200],
        place=h.place[:64],
        size=h.size,
        support=h.support,
        new=h.new,
        previous=h.previous,
        score=h.score,
        is_growing=is_growing,
        alerted=alerted,
    )


def _growth_alert(*, scope: Region, issue: hotspots.HotIssue) -> bool:
    """Tell the scope's petition bureau, on the newest petition of the issue (ids are oldest
    first). False when no bureau covers the scope: the next refresh tries again."""
    bureau = bureau_for_region(region=scope)
    newest = Case.objects.filter(pk=issue.ids[-1]).first()
    if bureau is None or newest is None:
        return False
    subject = " ".join(p for p in (issue.place, issue.label) if p)
    alert(
        org=bureau,
        case=newest,
        kind=AlertKind.HOTSPOT,
        text=f"热点问题快速增长：{subject}（近7天{issue.new}件，前7天{issue.previous}件，"
        f"共{issue.size}件）",
    )
    return True


# --- the staff page ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HotIssueForUser:
    issue: HotIssue
    cases: list[Case]  # the members the user may see, newest first (at most PAGE_MEMBERS)
    hidden: int  # members not listed: out of the user's scope or beyond PAGE_MEMBERS


def hot_issues_for_user(*, user: object, limit: int = PAGE_ISSUES) -> list[HotIssueForUser]:
    """The stored issues the user may see, highest score first, each with only its members
    the user may read (cases.selectors; counts are the issue's own, as stored).

    An issue is shown when one of its cases is readable, or when its scope lies in the region
    of a unit where the user may view cases or statistics: a city's issues are aggregates of
    that city, which its units (and analysts, who read no case) follow as figures.
    """
    visible = case_list_for_user(user=user).order_by().values("pk")
    shown = HotIssueMember.objects.filter(case__in=visible)
    issues = list(
        HotIssue.objects.filter(_issues_q(user=user, shown=shown))
        .select_related("region")
        .order_by("-score", "-size", "pk")[:limit]
    )
    members = (
        shown.filter(issue__in=issues)
        .select_related("case")
        .only("issue_id", "case__item_number", "case__title", "case__received_at")
        .order_by("-case__received_at", "-case_id")
    )
    by_issue: dict[int, list[Case]] = {}
    for m in members:
        by_issue.setdefault(m.issue_id, []).append(m.case)
    out = []
    for issue in issues:
        cases = by_issue.get(issue.pk, [])[:PAGE_MEMBERS]
        out.append(HotIssueForUser(issue, cases, max(issue.size - len(cases), 0)))
    return out


def _issues_q(*, user: object, shown: QuerySet[HotIssueMember]) -> Q:
    scope = staff_scope(user=user)
    if scope.see_all:
        return Q()
    q = Q(Exists(shown.filter(issue=OuterRef("pk"))))
    for acting in scope.memberships:
        if acting.perms & {Perm.CASE_VIEW, Perm.STATS_VIEW}:
            q |= Q(region__code__startswith=acting.org.region.prefix)
    return q
