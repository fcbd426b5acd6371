"""Board reads: the public list, one case page and a unit's figures.

Everything here reads `Publication` (the redacted, approved copy), never `cases.Case`, and only
rows whose status is PUBLISHED. Pages are fetched as `per_page + 1` rows after an offset: no
COUNT(*) over a million rows per request, and the deepest page is capped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from xinfang.board.models import Publication, PublicationStatus
from xinfang.core import refcache
from xinfang.handling.models import Rating, RatingParty, RatingValue
from xinfang.orgs.models import Region, RegionLevel
from xinfang.orgs.selectors import region_children, region_get, region_prefix

PER_PAGE = 20
# Offsets grow with the page number; past this the public is better served by a filter.
MAX_PAGE = 250
FIGURES_TTL = 600  # seconds: a unit's figures on the case page
FIGURES_SAMPLE = 2000  # most recent replies a unit's average reply time is taken over
# The list shows a preview of the content; the rest is on the case page.
LIST_FIELDS = (
    "id",
    "case_id",
    "status",
    "title",
    "content",
    "region_code",
    "category",
    "unit",
    "is_replied",
    "received_at",
    "replied_at",
    "published_at",
    "support_count",
)


@dataclass(frozen=True)
class BoardFilters:
    """What the public may narrow the board by; empty values mean "any"."""

    region: str = ""  # a division code; the board shows it and every division inside it
    category_id: int | None = None
    unit_id: int | None = None
    replied: bool | None = None
    since: date | None = None  # published on or after
    until: date | None = None  # published on or before


@dataclass(frozen=True)
class BoardPage:
    rows: list[Publication]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


@dataclass(frozen=True)
class UnitFigures:
    replies: int
    avg_reply_days: float | None
    ratings: int
    satisfaction: float | None  # share of 满意 and 基本满意 among the unit's ratings


def published() -> QuerySet[Publication]:
    return Publication.objects.filter(status=PublicationStatus.PUBLISHED)


def prefix_range(prefix: str) -> tuple[str, str]:
    """[prefix, next) such that codes in it are exactly those starting with `prefix`: two
    comparisons an ordinary B-tree index answers on both databases (LIKE may not on PG)."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def publication_filter(
    *, qs: QuerySet[Publication], filters: BoardFilters
) -> QuerySet[Publication]:
    prefix = region_prefix(filters.region)
    if prefix:
        low, high = prefix_range(prefix)
        qs = qs.filter(region_code__gte=low, region_code__lt=high)
    if filters.category_id is not None:
        qs = qs.filter(category_id=filters.category_id)
    if filters.unit_id is not None:
        qs = qs.filter(unit_id=filters.unit_id)
    if filters.replied is not None:
        qs = qs.filter(is_replied=filters.replied)
    if filters.since is not None:
        qs = qs.filter(published_at__gte=_day_start(filters.since))
    if filters.until is not None:
        qs = qs.filter(published_at__lt=_day_start(filters.until + timedelta(days=1)))
    return qs


NEWEST_FIRST: tuple[Any, ...] = ("-published_at", "-id")


def page_fetch(
    *,
    qs: QuerySet[Publication],
    page: int,
    per_page: int = PER_PAGE,
    order: tuple[Any, ...] = NEWEST_FIRST,
) -> BoardPage:
    """One page in `order` (newest first, ties by id) and whether another follows."""
    page = max(1, min(page, MAX_PAGE))
    start = (page - 1) * per_page
    ordered = qs.select_related("unit", "category").only(
        *LIST_FIELDS, "unit__name", "category__name"
    )
    rows = list(ordered.order_by(*order)[start : start + per_page + 1])
    return BoardPage(rows=rows[:per_page], page=page, has_next=len(rows) > per_page)


def publication_list(
    *, filters: BoardFilters, page: int = 1, per_page: int = PER_PAGE
) -> BoardPage:
    qs = publication_filter(qs=published(), filters=filters)
    return page_fetch(qs=qs, page=page, per_page=per_page)


def publication_get(*, pk: int) -> Publication:
    """A published case page; anything else (pending, withdrawn, unknown) is a 404."""
    row = published().select_related("unit", "category").filter(pk=pk).first()
    if row is None:
        raise Http404
    return row


def unit_figures(*, unit_id: int) -> UnitFigures:
    """Average reply time of the unit's published cases and its petitioners' satisfaction,
    cached for ten minutes: shown on a case page, never computed per row of the list."""
    key = f"board:unit-figures:{unit_id}"
    figures: UnitFigures | None = cache.get(key)
    if figures is None:
        figures = _unit_figures(unit_id)
        cache.set(key, figures, FIGURES_TTL)
    return figures


def _unit_figures(unit_id: int) -> UnitFigures:
    # Differences in Python over a bounded sample: duration arithmetic in SQL differs
    # between SQLite and PostgreSQL, and a unit's recent replies are what the public asks.
    pairs = list(
        published()
        .filter(unit_id=unit_id, replied_at__isnull=False)
        .order_by("-replied_at")
        .values_list("received_at", "replied_at")[:FIGURES_SAMPLE]
    )
    days = [(r - received).total_seconds() / 86400 for received, r in pairs if r is not None]
    rated = Rating.objects.filter(org_id=unit_id, party=RatingParty.UNIT).exclude(
        value=RatingValue.EXPIRED
    )
    counts = rated.aggregate(
        total=Count("id"),
        content=Count("id", filter=Q(value__in=[RatingValue.SATISFIED, RatingValue.BASIC])),
    )
    total = int(counts["total"] or 0)
    return UnitFigures(
        replies=len(days),
        avg_reply_days=round(sum(days) / len(days), 1) if days else None,
        ratings=total,
        satisfaction=round(counts["content"] / total, 3) if total else None,
    )


@dataclass(frozen=True)
class RegionPicker:
    cities: list[Region]
    counties: list[Region]  # of the chosen city
    city: str  # the chosen city's code, or ""
    county: str  # the chosen county's code, or ""


def region_choices(*, selected: str) -> RegionPicker:
    """Cities for the region picker and, once a city or one of its counties is chosen, that
    city's counties. Cached per process: the divisions change once a year."""

    def load() -> RegionPicker:
        cities = [
            c
            for p in region_children(parent_code=None)
            for c in region_children(parent_code=p.code)
        ]
        region = region_get(code=selected) if selected else None
        city = county = ""
        if region is not None and region.level == RegionLevel.CITY:
            city = region.code
        elif region is not None and region.level == RegionLevel.COUNTY and region.parent:
            city, county = region.parent.code, region.code
        counties = list(region_children(parent_code=city)) if city else []
        return RegionPicker(cities=cities, counties=counties, city=city, county=county)

    return refcache.cached("board-regions", selected, load)
