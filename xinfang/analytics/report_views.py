"""The printable annual report (Art. 41). Thin: figures from analytics.report.

Needs the statistics permission (403 without it, or for a division outside the user's
statistics range); an unknown division or an impossible year is 404.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from xinfang.analytics.report import annual_report
from xinfang.analytics.selectors import stats_region_allowed, stats_region_prefixes
from xinfang.core.errors import Msg
from xinfang.orgs.models import Region
from xinfang.signin.decorators import staff_login_required

NOT_ALLOWED = Msg("您没有查看该地区统计的权限。", "You may not view statistics for that division.")


def _default_region(user: object) -> str:
    """The widest division the user may read: all ("") for a see-all user."""
    prefixes = stats_region_prefixes(user=user)
    if prefixes is None or "" in prefixes:
        return ""
    widest = min(prefixes, key=len, default=None)
    if widest is None:
        return ""
    code = Region.objects.filter(prefix=widest).values_list("code", flat=True).first()
    return code or ""


@require_GET
@staff_login_required
def annual_report_view(request: HttpRequest, year: int) -> HttpResponse:
    if not 2000 <= year <= 2100:
        raise Http404
    if stats_region_prefixes(user=request.user) == frozenset():
        return render(request, "analytics/report_denied.html", {"message": NOT_ALLOWED}, status=403)
    region_code = request.GET.get("region", "").strip() or _default_region(request.user)
    if region_code and not Region.objects.filter(code=region_code).exists():
        raise Http404
    if not stats_region_allowed(user=request.user, region_code=region_code):
        return render(request, "analytics/report_denied.html", {"message": NOT_ALLOWED}, status=403)
    report = annual_report(year=year, region_code=region_code)
    return render(request, "analytics/report_annual.html", {"report": report})
