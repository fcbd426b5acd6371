"""Dashboards (统计分析) and the cases behind their figures. Thin: the figures come from
analytics.dashboard (KPI selectors over the rollups), the view only resolves who may look
where (analytics.viewpoints), the period picker (analytics.forms), caching and links.

Without the statistics permission: 403. A division or unit outside the user's statistics
range: 403 as well (the figures of another county are not a case to hide, but not theirs
to read). The drill-down lists only the cases the user may read (cases.selectors): an
analyst, who reads no case, sees how many cases stand behind a figure, not which.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from xinfang.analytics import dashboard as board
from xinfang.analytics import exports
from xinfang.analytics.forms import SCOPE_PARAMS, CasesForm, Chosen, DashboardForm
from xinfang.analytics.kpis import KPIS
from xinfang.analytics.selectors import Period, Slice, kpi_cases, kpi_facts
from xinfang.analytics.viewpoints import (
    Viewpoint,
    region_trail,
    stats_roots,
    viewpoint_resolve,
)
from xinfang.cases.models import Case, Channel
from xinfang.cases.selectors import case_list_for_user
from xinfang.cases.workflow import CaseStatus
from xinfang.core import tables
from xinfang.core.errors import Msg
from xinfang.signin.decorators import staff_login_required

PAGE_SIZE = 50
NO_STATS = Msg("您没有查看统计分析的权限。", "You may not view statistics.")
OUT_OF_RANGE = Msg(
    "所选地区或单位不在您的统计范围内。", "That division or unit is outside your statistics range."
)
UNKNOWN_KPI = Msg("未知的统计指标。", "Unknown indicator.")


def _cache_seconds() -> int:
    return int(getattr(settings, "XINFANG_ANALYTICS_CACHE_SECONDS", 60))


def _forbidden(request: HttpRequest, message: Msg) -> HttpResponse:
    return render(request, "analytics/dashboard_denied.html", {"message": message}, status=403)


def _slice(view: Viewpoint, chosen: Chosen) -> Slice:
    return Slice(
        region_code="" if view.org is not None else view.region.code,
        org_id=view.org.pk if view.org is not None else None,
        category_id=chosen.category,
        channel=chosen.channel,
        petition_type=chosen.petition_type,
    )


def _linker(form: DashboardForm, view: Viewpoint) -> board.Link:
    """link(kpi, part, **params): the drill-down address of a figure on this page."""
    # The page's own view goes along, so a figure of the default (root) view links to it.
    fixed = {"org": view.org.pk} if view.org is not None else {"region": view.region.code}
    page = form.params(**fixed)  # a page has hundreds of links: its parameters once
    base = reverse("analytics:cases")

    def link(kpi: str, part: str = "num", **override: Any) -> str:
        extra = {k: v for k, v in override.items() if k not in SCOPE_PARAMS}
        scope = {k: v for k, v in override.items() if k in SCOPE_PARAMS}
        # Another period kind drops this one's fields (a custom range has no month).
        if "period" in scope:
            params = form.params(**fixed, **scope)
        else:
            params = {k: str(v) for k, v in {**page, **scope}.items() if v not in (None, "")}
        return f"{base}?{urlencode({**params, 'kpi': kpi, 'part': part, **extra})}"

    return link


def _resolve(
    request: HttpRequest, form: DashboardForm
) -> tuple[list[Viewpoint], Viewpoint | None, HttpResponse | None]:
    roots = stats_roots(user=request.user)
    if not roots:
        return roots, None, _forbidden(request, NO_STATS)
    if not form.is_valid():
        return roots, None, None
    chosen = form.chosen()
    view = viewpoint_resolve(roots=roots, region_code=chosen.region, org_id=chosen.org)
    if view is None:
        return roots, None, _forbidden(request, OUT_OF_RANGE)
    return roots, view, None


def _figures_cached(form: DashboardForm, view: Viewpoint) -> str:
    """The figures of one view, period and slice as rendered HTML, computed at most once a
    minute: they are the same for everyone who may open that view, and most of a page's
    time is spent reading the rollups and writing the hundreds of linked table cells."""
    raw = f"{view.key}|{form.querystring()}|{get_language()}"
    key = "analytics:dash:v2:" + hashlib.sha256(raw.encode()).hexdigest()[:32]
    html: str | None = cache.get(key)
    if html is None:
        html = _figures_render(form, view)
        cache.set(key, html, _cache_seconds())
    return mark_safe(html)  # noqa: S308 — rendered by our own template, escaped there


def _figures_render(form: DashboardForm, view: Viewpoint) -> str:
    chosen = form.chosen()
    data = board.dashboard_build(
        view=view,
        period=Period(chosen.start, chosen.end),
        s=_slice(view, chosen),
        link=_linker(form, view),
    )
    context = {
        "view": view,
        "data": data,
        "chosen": chosen,
        "last_day": chosen.end - timedelta(days=1),
        "charts": {"charts": data.charts},
        "exports": _export_links(form, view, data),
        "base": form.querystring(region=None, org=None),
        "online_channels": [str(lbl) for v, lbl in Channel.choices if v in board.ONLINE_CHANNELS],
    }
    return render_to_string("analytics/dashboard_figures.html", context)


@require_GET
@staff_login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form = DashboardForm.from_get(request.GET)
    roots, view, denied = _resolve(request, form)
    if denied is not None:
        return denied
    context: dict[str, Any] = {"form": form, "roots": roots}
    if view is None:  # the period picker's errors, field by field
        return render(request, "analytics/dashboard.html", context, status=400)
    context.update(
        view=view,
        figures=_figures_cached(form, view),
        trail=region_trail(view=view, roots=roots),
        base=form.querystring(region=None, org=None),
        # The Art. 41 report covers a whole year: the last one that has ended.
        report_year=timezone.localdate().year - 1,
    )
    return render(request, "analytics/dashboard.html", context)


def _export_links(form: DashboardForm, view: Viewpoint, data: board.Dashboard) -> dict[str, Any]:
    fixed = {"org": view.org.pk} if view.org is not None else {"region": view.region.code}
    qs = form.querystring(**fixed)
    return {
        key: {
            fmt: f"{reverse('analytics:export', args=[key, fmt])}?{qs}" for fmt in ("xlsx", "csv")
        }
        for key in data.tables
    }


# --- the drill-down --------------------------------------------------------------------------


def _kind_label(kpi: str) -> str:
    from django.utils.translation import gettext as _

    live = {
        "VOL": _("信访总量"),
        "OPEN": _("当前在办"),
        "OVERDUE": _("当前超期"),
        "FAST": _("快速通道在办"),
        "FAST_OVERDUE": _("快速通道超期"),
        "SUP_OPEN": _("督办待反馈"),
        "SUP_LATE": _("督办逾期未反馈"),
        "SUP_ANSWERED": _("督办已反馈"),
        "SUP_ESCALATED": _("督办已升级"),
    }
    return live.get(kpi) or str(KPIS[kpi].label)


def _behind(request: HttpRequest, form: CasesForm, view: Viewpoint) -> tuple[Any, int]:
    """(the readable cases behind the figure, how many cases stand behind it in all)."""
    chosen = form.chosen()
    d = form.cleaned_data
    period, s = Period(chosen.start, chosen.end), _slice(view, chosen)
    kpi, part = d["kpi"], d["part"]
    if kpi in board.LIVE_KINDS:
        every = board.live_cases(kind=kpi, view=view, period=period, s=s, now=timezone.now())
        readable = case_list_for_user(user=request.user).filter(pk__in=every.values("pk"))
        return readable, every.count()
    facts = kpi_facts(kpi=kpi, part=part, period=period, slice=s)
    readable = kpi_cases(user=request.user, kpi=kpi, part=part, period=period, slice=s)
    if d.get("online"):
        online = list(board.ONLINE_CHANNELS)
        facts = facts.filter(channel__in=online)
        readable = readable.filter(channel__in=online)
    return readable, facts.count()


@require_GET
@staff_login_required
def cases(request: HttpRequest) -> HttpResponse:
    form = CasesForm.from_get(request.GET)
    _roots, view, denied = _resolve(request, form)
    if denied is not None:
        return denied
    if view is None:
        return render(request, "analytics/cases.html", {"form": form}, status=400)
    kpi = form.cleaned_data["kpi"]
    if kpi not in KPIS and kpi not in board.LIVE_KINDS and kpi != "VOL":
        form.add_error("kpi", str(UNKNOWN_KPI))
        return render(request, "analytics/cases.html", {"form": form}, status=400)
    readable, total = _behind(request, form, view)
    fmt = request.GET.get("format", "")
    if fmt in tables.FORMATS:  # the readable cases as a file (numbers, dates, units only)
        table = exports.case_list_table(readable, title=_kind_label(kpi))
        return tables.table_response(
            table, fmt, f"analytics-cases-{kpi}-{form.cleaned_data['part']}"
        )
    ids = Paginator(readable.values_list("pk", flat=True), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    chosen = form.chosen()
    context = {
        "form": form,
        "view": view,
        "kpi": kpi,
        "part": form.cleaned_data["part"],
        "label": _kind_label(kpi),
        "formula": str(KPIS[kpi].formula) if kpi in KPIS else "",
        "chosen": chosen,
        "last_day": chosen.end - timedelta(days=1),
        "page": ids,
        "rows": _rows(list(ids)),
        "total": total,
        "hidden": max(total - ids.paginator.count, 0),
        "back": "?" + form.querystring(),
        "paging": urlencode({k: v for k, v in request.GET.items() if k != "page"}),
    }
    return render(request, "analytics/cases.html", context)


def _rows(ids: list[int]) -> list[Case]:
    """One page of cases in the page's order, with what the table shows."""
    related = ("petition_type", "region", "category", "lead_org", "register_org")
    found = Case.objects.select_related(*related).in_bulk(ids)
    labels = {value: str(label) for value, label in CaseStatus.choices}
    rows = [found[pk] for pk in ids if pk in found]
    for case in rows:
        case.status_label = labels[case.status]  # type: ignore[attr-defined]
    return rows


@require_GET
@staff_login_required
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    """One dashboard table as Excel or CSV, for the same view, period and slice."""
    if table not in board.EXPORT_TABLES or fmt not in tables.FORMATS:
        raise Http404
    form = DashboardForm.from_get(request.GET)
    _roots, view, denied = _resolve(request, form)
    if denied is not None:
        return denied
    if view is None:
        return render(request, "analytics/dashboard.html", {"form": form}, status=400)
    chosen = form.chosen()
    period = Period(chosen.start, chosen.end)
    data = board.export_table(
        key=table, view=view, period=period, s=_slice(view, chosen), link=_linker(form, view)
    )
    if data is None:
        raise Http404
    where = view.key.replace(":", "-")
    name = f"analytics-{table}-{where}-{chosen.start:%Y%m%d}-{chosen.end:%Y%m%d}"
    return tables.table_response(data, fmt, name)
