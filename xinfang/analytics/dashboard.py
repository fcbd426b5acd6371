"""What a dashboard shows, assembled from the KPI selectors (rollups) and a few live counts.

Every figure is read through analytics.selectors over the rollup table, except the figures
that describe *now* rather than a period — cases open and overdue at this moment, the
fast-channel cases among them, 督办 orders and the hot-issue snapshot — which are small,
indexed counts. Each figure carries the address of the cases behind it (the drill-down).

The online share (网上信访占比) is defined once, here: petitions that reached the system over
the internet — the web portal, the mobile app, the API of connected apps, WeChat, the leader
mailboxes, Open311 and 网上信访代理 (a proxy types a petition into the online platform for
someone without internet) — as a share of all petitions received. Letters, visits, the
hotline and grid workers' on-site reports are the other channels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from xinfang.analytics import exports
from xinfang.analytics.kpis import KPIS, rate_text
from xinfang.analytics.selectors import (
    BreakdownRow,
    KpiValue,
    Period,
    Slice,
    kpi_breakdown,
    kpi_summary,
    volume_series,
)
from xinfang.analytics.viewpoints import Viewpoint
from xinfang.cases.models import Case, Channel, DueState
from xinfang.cases.workflow import OPEN_STATES
from xinfang.clock.engine import TZ
from xinfang.core import tables
from xinfang.handling.models import SupervisionOrder, SupervisionStatus
from xinfang.orgs.selectors import region_ancestors
from xinfang.triage.models import HotIssue, HotIssueMember

ONLINE_CHANNELS: frozenset[str] = frozenset(
    {
        Channel.WEB,
        Channel.MOBILE,
        Channel.API,
        Channel.WECHAT,
        Channel.MAILBOX,
        Channel.OPEN311,
        Channel.PROXY,
    }
)
# The cards, in order: the KPIs leaders read first (DOMAIN §8).
CARD_KPIS: tuple[str, ...] = ("K2", "K17", "K3", "K7", "K6", "K9", "K12", "K16")
TABLE_KPIS: tuple[str, ...] = ("K2", "K7", "K9")  # columns of the breakdown tables
HOT_LIMIT = 10

# Drill-down kinds besides the KPIs (kpi_cases): figures about now, read from the cases.
LIVE_KINDS: tuple[str, ...] = (
    "OPEN",
    "OVERDUE",
    "FAST",
    "FAST_OVERDUE",
    "SUP_OPEN",
    "SUP_LATE",
    "SUP_ANSWERED",
    "SUP_ESCALATED",
)

Link = Callable[..., str]  # link(kpi, part="num", **params) → drill-down URL


@dataclass(frozen=True, slots=True)
class Card:
    key: str
    label: str
    value: str
    num: int | None = None
    den: int | None = None
    num_url: str = ""
    den_url: str = ""
    formula: str = ""
    warn: bool = False


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    url: str = ""
    title: str = ""
    value: float | None = None  # the number shown, for charts and exports


@dataclass
class Table:
    key: str
    caption: str
    head: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    # Per row: the GET parameter of the narrower dashboard ("region=430100", "org=12") or "".
    drill: list[str] = field(default_factory=list)

    @property
    def pairs(self) -> list[tuple[SafeString, str]]:
        """(the row's cells as HTML, its drill parameter): a table can hold hundreds of
        linked cells, which the template language renders ten times slower than this."""
        drill = self.drill + [""] * (len(self.rows) - len(self.drill))
        return [(_cells_html(row), d) for row, d in zip(self.rows, drill, strict=True)]


def _cell_html(cell: Cell) -> SafeString:
    if not cell.url:
        return format_html("{}", cell.text)
    if cell.title:
        return format_html('<a href="{}" title="{}">{}</a>', cell.url, cell.title, cell.text)
    return format_html('<a href="{}">{}</a>', cell.url, cell.text)


def _cells_html(row: Sequence[Cell]) -> SafeString:
    head, *rest = row
    return format_html(
        '<th scope="row">{}</th>{}',
        _cell_html(head),
        format_html_join(
            "",
            "<td{}>{}</td>",
            ((mark_safe(' class="na"') if c.text == "—" else "", _cell_html(c)) for c in rest),
        ),
    )


@dataclass
class Dashboard:
    cards: list[Card]
    live: list[Card]
    supervision: list[Card]
    tables: dict[str, Table]
    charts: dict[str, Any]
    hot: list[HotIssue]
    online_share: float | None
    volume: int
    computed_at: datetime


# --- formatting -----------------------------------------------------------------------------


def number(n: int) -> str:
    return f"{n:,}"


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- grains and buckets ---------------------------------------------------------------------


def series_grain(period: Period) -> str:
    """Days for a month, weeks for a quarter, months beyond."""
    days = (period.end - period.start).days
    if days <= 31:
        return "day"
    if days <= 100:
        return "week"
    return "month"


def bucket_end(start: date, grain: str, period: Period) -> date:
    """The exclusive end of the bucket starting at `start`, clipped to the period."""
    if grain == "day":
        end = start + timedelta(days=1)
    elif grain == "week":
        end = start + timedelta(days=7)
    else:
        end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return min(end, period.end)


def bucket_label(start: date, grain: str) -> str:
    if grain == "month":
        return start.strftime("%Y-%m")
    return start.strftime("%m-%d")


def _buckets(period: Period, grain: str) -> list[date]:
    """Every bucket of the period (empty ones too), so the axis has no gaps."""
    first = period.start
    if grain == "week":
        first -= timedelta(days=first.weekday())
    elif grain == "month":
        first = first.replace(day=1)
    out = []
    while first < period.end:
        out.append(first)
        first = bucket_end(first, grain, Period(first, date.max))
    return out


# --- KPI cards ------------------------------------------------------------------------------


def kpi_cards(summary: dict[str, KpiValue], link: Link) -> list[Card]:
    cards = []
    for key in CARD_KPIS:
        value = summary.get(key)
        d = KPIS[key]
        if value is None:
            continue
        bad = not d.higher_is_better and (value.rate or 0) > 0.2
        cards.append(
            Card(
                key=key,
                label=str(d.label),
                value=rate_text(value.rate),
                num=value.num,
                den=value.den,
                num_url=link(key, "num"),
                den_url=link(key, "den"),
                formula=str(d.formula),
                warn=bad or (d.higher_is_better and value.rate is not None and value.rate < 0.8),
            )
        )
    return cards


def _head_cards(summary: dict[str, KpiValue], online: int, link: Link) -> list[Card]:
    vol = summary["VOL"].num
    share = _share(online, vol)
    online_links = link("VOL", "num", online="1")
    sup = summary.get("K12b")
    cards = [
        Card("VOL", _("信访总量"), number(vol), vol, None, link("VOL", "num")),
        Card(
            "ONLINE",
            _("网上信访占比"),
            rate_text(share),
            online,
            vol,
            online_links,
            link("VOL", "num"),
            _(
                "网上渠道（网站、手机客户端、接口、微信、领导信箱、Open311、网上代理）件数"
                " ÷ 信访总量"
            ),
        ),
    ]
    if sup is not None:
        cards.append(
            Card("K12b", str(KPIS["K12b"].label), number(sup.num), sup.num, sup.den,
                 link("K12b", "num"), link("K12b", "den"), str(KPIS["K12b"].formula))
        )  # fmt: skip
    return cards


# --- volume by channel over time ------------------------------------------------------------


def volume_panel(period: Period, s: Slice, link: Link) -> tuple[dict[str, Any], Table, Table, int]:
    """The stacked volume chart with the online-share line, its table, the channel table,
    and the online total."""
    grain = series_grain(period)
    points = volume_series(period=period, slice=s, by="channel", grain=grain)
    buckets = _buckets(period, grain)
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    for p in points:
        counts[p.key][p.bucket] = p.count
    labels = dict(Channel.choices)
    channels = sorted(counts, key=lambda c: -sum(counts[c].values()))
    totals = {b: sum(counts[c].get(b, 0) for c in channels) for b in buckets}
    on = [c for c in channels if c in ONLINE_CHANNELS]
    online = {b: sum(counts[c].get(b, 0) for c in on) for b in buckets}

    def cell_link(b: date, channel: str = "") -> str:
        first = max(b, period.start)
        last = bucket_end(first, grain, period) - timedelta(days=1)
        narrowed = {"channel": channel} if channel else {}
        return link(
            "VOL", "num", period="custom", start=first.isoformat(), end=last.isoformat(),
            **narrowed,
        )  # fmt: skip

    links = [[cell_link(b, c) for b in buckets] for c in channels]
    share = [_pct(online[b], totals[b]) for b in buckets]
    chart = {
        "kind": "volume",
        "axis": _("件数"),
        "buckets": [bucket_label(b, grain) for b in buckets],
        "series": [
            {"name": str(labels.get(c, c)), "data": [counts[c].get(b, 0) for b in buckets]}
            for c in channels
        ],
        "share": {"name": _("网上占比"), "data": share},
        "links": links,
    }
    table = Table(
        "volume",
        _("各时段信访量（按渠道）"),
        [_("时段"), *(str(labels.get(c, c)) for c in channels), _("合计"), _("网上占比")],
    )
    for i, b in enumerate(buckets):
        row = [Cell(bucket_label(b, grain))]
        row += [
            Cell(number(counts[c].get(b, 0)), links[j][i], value=counts[c].get(b, 0))
            for j, c in enumerate(channels)
        ]
        pct = share[i]
        rate = None if pct is None else pct / 100
        row += [
            Cell(number(totals[b]), cell_link(b), value=totals[b]),
            Cell(rate_text(rate), value=rate),
        ]
        table.rows.append(row)
    total_online = sum(online.values())
    return chart, table, _channel_table(counts, labels, link), total_online


def _pct(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def _channel_table(counts: dict[str, dict[date, int]], labels: dict[str, Any], link: Link) -> Table:
    table = Table("channel", _("信访渠道"), [_("渠道"), _("网上渠道"), _("件数"), _("占比")])
    whole = sum(sum(v.values()) for v in counts.values())
    for channel in sorted(counts, key=lambda c: -sum(counts[c].values())):
        n = sum(counts[channel].values())
        table.rows.append(
            [
                Cell(str(labels.get(channel, channel))),
                Cell(_("是") if channel in ONLINE_CHANNELS else _("否")),
                Cell(number(n), link("VOL", "num", channel=channel)),
                Cell(rate_text(_share(n, whole))),
            ]
        )
    return table


# --- breakdowns (category, region, unit) ------------------------------------------------------


def breakdown_table(
    key: str,
    caption: str,
    rows: Sequence[BreakdownRow],
    link: Link,
    param: str,
    *,
    drill: bool = False,
) -> Table:
    """One row per category / division / unit: volume and the table KPIs, each linked; with
    `drill`, each row also opens the dashboard of that division or unit."""
    head = [caption, _("件数"), *(str(KPIS[k].label) for k in TABLE_KPIS)]
    table = Table(key, caption, head)
    for r in rows:
        if not r.key or r.key == "0":
            continue
        narrowed = {param: _param_value(param, r.key)}
        volume = Cell(number(r.volume), link("VOL", "num", **narrowed), value=r.volume)
        cells = [Cell(r.label), volume]
        for k in TABLE_KPIS:
            v = r.kpis[k]
            title = f"{number(v.num)} / {number(v.den)}"
            cells.append(
                Cell(rate_text(v.rate), link(k, "num", **narrowed) if v.den else "", title)
            )
        table.rows.append(cells)
        if drill:
            table.drill.append(f"{param}={narrowed[param]}")
    return table


def _param_value(param: str, key: str) -> str:
    # Region keys are prefixes (43, 4301, 430102): the form takes full division codes.
    return key.ljust(6, "0") if param == "region" else key


def bars_chart(table: Table, name: str, color: str = "") -> dict[str, Any]:
    """A horizontal bar chart of a breakdown table's volume column (the top 15 rows)."""
    rows = table.rows[:15]
    return {
        "kind": "bars",
        "name": name,
        "color": color,
        "labels": [r[0].text for r in rows],
        "values": [r[1].value for r in rows],
        "links": [r[1].url for r in rows],
    }


# --- live figures: open, overdue, fast channel, supervision -----------------------------------


def cases_in_view(view: Viewpoint, s: Slice) -> QuerySet[Case]:
    """The cases a view covers: by the division of the problem, or the unit leading them (the
    registering organ before any lead), with the slice's filters."""
    qs = Case.objects.all()
    if view.org is not None:
        qs = qs.filter(
            Q(lead_org_id=view.org.pk) | Q(lead_org__isnull=True, register_org_id=view.org.pk)
        )
    else:
        qs = qs.filter(region__code__startswith=view.region.prefix)
    if s.category_id is not None:
        qs = qs.filter(
            Q(category_id=s.category_id)
            | Q(category__parent_id=s.category_id)
            | Q(category__parent__parent_id=s.category_id)
        )
    if s.channel:
        qs = qs.filter(channel=s.channel)
    if s.petition_type:
        qs = qs.filter(petition_type__code=s.petition_type)
    return qs


def supervision_in_view(view: Viewpoint, period: Period) -> QuerySet[SupervisionOrder]:
    """督办 orders issued in the period to the view's units."""
    start, end = _aware(period.start), _aware(period.end)
    qs = SupervisionOrder.objects.filter(created_at__gte=start, created_at__lt=end)
    if view.org is not None:
        return qs.filter(target_org_id=view.org.pk)
    return qs.filter(target_org__region__code__startswith=view.region.prefix)


def _aware(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=TZ)


def live_cases(
    *, kind: str, view: Viewpoint, period: Period, s: Slice, now: datetime
) -> QuerySet[Case]:
    """The cases behind a live figure (LIVE_KINDS), before the user's case scope applies."""
    if kind.startswith("SUP_"):
        orders = _supervision_kind(supervision_in_view(view, period), kind, now)
        return Case.objects.filter(pk__in=orders.values("case_id"))
    qs = cases_in_view(view, s).filter(status__in=OPEN_STATES)
    if kind.startswith("FAST"):
        qs = qs.filter(is_fast_track=True)
    if kind.endswith("OVERDUE"):
        qs = qs.filter(due_state=DueState.OVERDUE)
    return qs


def _supervision_kind(
    qs: QuerySet[SupervisionOrder], kind: str, now: datetime
) -> QuerySet[SupervisionOrder]:
    if kind == "SUP_OPEN":
        return qs.filter(status=SupervisionStatus.OPEN, feedback_due__gte=now)
    if kind == "SUP_LATE":
        return qs.filter(status=SupervisionStatus.OPEN, feedback_due__lt=now)
    if kind == "SUP_ANSWERED":
        return qs.filter(status=SupervisionStatus.ANSWERED)
    return qs.filter(status=SupervisionStatus.ESCALATED)


def live_cards(view: Viewpoint, s: Slice, link: Link) -> list[Card]:
    """Open, overdue and fast-channel cases now: one aggregate over the open cases."""
    qs = cases_in_view(view, s).filter(status__in=OPEN_STATES)
    overdue = Q(due_state=DueState.OVERDUE)
    c = qs.aggregate(
        open=Count("pk"),
        overdue=Count("pk", filter=overdue),
        fast=Count("pk", filter=Q(is_fast_track=True)),
        fast_overdue=Count("pk", filter=Q(is_fast_track=True) & overdue),
    )
    return [
        Card("OPEN", _("当前在办"), number(c["open"]), c["open"], None, link("OPEN", "num")),
        Card("OVERDUE", _("当前超期"), number(c["overdue"]), c["overdue"], c["open"],
             link("OVERDUE", "num"), link("OPEN", "num"), warn=bool(c["overdue"])),
        Card("FAST", _("快速通道在办"), number(c["fast"]), c["fast"], None, link("FAST", "num"),
             formula=_("简易办理（欠薪、民生保障等）、10个工作日办结时限的在办件")),
        Card("FAST_OVERDUE", _("快速通道超期"), number(c["fast_overdue"]), c["fast_overdue"],
             c["fast"], link("FAST_OVERDUE", "num"), link("FAST", "num"),
             warn=bool(c["fast_overdue"])),
    ]  # fmt: skip


def supervision_cards(view: Viewpoint, period: Period, link: Link, now: datetime) -> list[Card]:
    """督办 orders issued in the period, by where they stand now."""
    open_ = Q(status=SupervisionStatus.OPEN)
    c = supervision_in_view(view, period).aggregate(
        waiting=Count("pk", filter=open_ & Q(feedback_due__gte=now)),
        late=Count("pk", filter=open_ & Q(feedback_due__lt=now)),
        answered=Count("pk", filter=Q(status=SupervisionStatus.ANSWERED)),
        escalated=Count("pk", filter=Q(status=SupervisionStatus.ESCALATED)),
    )
    return [
        Card("SUP_OPEN", _("督办待反馈"), number(c["waiting"]), num_url=link("SUP_OPEN", "num")),
        Card("SUP_LATE", _("督办逾期未反馈"), number(c["late"]), num_url=link("SUP_LATE", "num"),
             warn=bool(c["late"])),
        Card("SUP_ANSWERED", _("督办已反馈"), number(c["answered"]),
             num_url=link("SUP_ANSWERED", "num")),
        Card("SUP_ESCALATED", _("督办已升级"), number(c["escalated"]),
             num_url=link("SUP_ESCALATED", "num")),
    ]  # fmt: skip


# --- hot issues -------------------------------------------------------------------------------


def hot_for_view(view: Viewpoint) -> list[HotIssue]:
    """The stored hot issues of the view: those of scopes inside its region, and those of the
    city around it that have a petition inside it (a county sees its own part of its city's
    issues); a unit sees the issues it has a petition in."""
    # Issue ids from the members in one semi-join, not a per-issue EXISTS: with 548 issues
    # and 1,000,000 petitions the correlated form took 330–400 ms for a city or a unit.
    if view.org is not None:
        org = view.org
        # A unit's petitions lie in its own region (属地), so only the scopes around it and
        # inside it are read: checking every member's case took 0.4 s at 1,000,000.
        near = HotIssue.objects.filter(
            Q(region_id__in=[r.pk for r in region_ancestors(region=org.region)])
            | Q(region__code__startswith=org.region.prefix)
        )
        mine = Q(case__lead_org_id=org.pk) | Q(case__register_org_id=org.pk)
        ids = HotIssueMember.objects.filter(
            mine, issue_id__in=list(near.values_list("pk", flat=True))
        )
        q = Q(pk__in=list(ids.values_list("issue_id", flat=True).distinct()))
    else:
        prefix = view.region.prefix
        q = Q(region__code__startswith=prefix)
        # Only the scopes around the view (its city, the province) can hold issues with some
        # petitions inside it; other scopes lie wholly inside or wholly outside.
        around = [r.pk for r in region_ancestors(region=view.region)[1:]]
        if around:
            inside = HotIssueMember.objects.filter(
                issue__region_id__in=around, case__region__code__startswith=prefix
            )
            q |= Q(pk__in=inside.values("issue_id"))
    return list(
        HotIssue.objects.filter(q)
        .select_related("region")
        .order_by("-score", "-size", "pk")[:HOT_LIMIT]
    )


# --- the whole page -----------------------------------------------------------------------------


def dashboard_build(
    *, view: Viewpoint, period: Period, s: Slice, link: Link, now: datetime | None = None
) -> Dashboard:
    now = now or timezone.now()
    summary = kpi_summary(period=period, slice=s)
    chart_volume, volume_table, channel_table, online = volume_panel(period, s, link)
    tables = {"volume": volume_table, "channel": channel_table}
    category = kpi_breakdown(period=period, slice=s, by="category")
    tables["category"] = breakdown_table(
        "category", _("内容分类"), category, link, param="category"
    )
    charts = {
        "volume": chart_volume,
        "category": bars_chart(tables["category"], _("件数")),
    }
    area = _area_table(view, period, s, link)
    if area is not None:
        tables["area"] = area
        charts["area"] = bars_chart(area, _("件数"), color="#2e9d6b")
    return Dashboard(
        cards=_head_cards(summary, online, link) + kpi_cards(summary, link),
        live=live_cards(view, s, link),
        supervision=supervision_cards(view, period, link, now),
        tables=tables,
        charts=charts,
        hot=hot_for_view(view),
        online_share=_share(online, summary["VOL"].num),
        volume=summary["VOL"].num,
        computed_at=now,
    )


def area_by(view: Viewpoint) -> tuple[str, str, str] | None:
    """The area table's breakdown, heading and drill parameter: province and city views list
    the divisions one level down, a county its units, a unit none."""
    if view.org is not None:
        return None
    if view.region.level < 3:
        return "region", str(_("地区")), "region"
    return "unit", str(_("责任单位")), "org"


def _area_table(view: Viewpoint, period: Period, s: Slice, link: Link) -> Table | None:
    area = area_by(view)
    if area is None:
        return None
    by, label, param = area
    rows = kpi_breakdown(period=period, slice=s, by=by)
    return breakdown_table("area", label, rows, link, param=param, drill=True)


# --- exports ------------------------------------------------------------------------------------

EXPORT_TABLES: tuple[str, ...] = ("volume", "channel", "category", "area")


def export_table(
    *, key: str, view: Viewpoint, period: Period, s: Slice, link: Link
) -> tables.Table | None:
    """A dashboard table for Excel/CSV: the breakdowns with every KPI (numerator,
    denominator, rate), the volume series as shown. None when the view has no such table."""
    title = f"{view.name} {period.start:%Y-%m-%d}—{period.end - timedelta(days=1):%Y-%m-%d}"
    if key == "volume":
        return _series_export(volume_panel(period, s, link)[1], title)
    if key == "area":
        area = area_by(view)
        if area is None:
            return None
        by, label, _param = area
    else:
        by = key
        label = _("内容分类") if key == "category" else _("渠道")
    rows = kpi_breakdown(period=period, slice=s, by=by)
    return exports.breakdown_table(
        [r for r in rows if r.key not in ("", "0")], title=f"{label} {title}", key_label=label
    )


def _series_export(table: Table, title: str) -> tables.Table:
    last = len(table.head) - 1
    kinds = ["text"] + ["int"] * (last - 1) + ["rate"]
    pairs = enumerate(zip(table.head, kinds, strict=True))
    columns = [tables.Column(f"c{i}", head, kind) for i, (head, kind) in pairs]
    rows = [
        {f"c{i}": (cell.text if i == 0 else cell.value) for i, cell in enumerate(row)}
        for row in table.rows
    ]
    return tables.Table(f"{table.caption} {title}", columns, rows)
