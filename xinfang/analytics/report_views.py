"""The printable annual report (Art. 41). Thin: figures from analytics.report.

Who may read which division's report is the dashboard's rule (`viewpoints.stats_roots`):
403 without the statistics permission, for a division outside the user's range, or for a
user whose range is a single unit (the report covers a division); an unknown division or an
impossible year is 404.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from xinfang.analytics.report import annual_report
from xinfang.analytics.viewpoints import stats_roots, viewpoint_resolve
from xinfang.core.errors import Msg
from xinfang.orgs.selectors import region_get
from xinfang.signin.decorators import staff_login_required

NOT_ALLOWED = Msg("您没有查看该地区统计的权限。", "You may not view statistics for that division.")


@require_GET
@staff_login_required
def annual_report_view(request: HttpRequest, year: int) -> HttpResponse:
    if not 2000 <= year <= 2100:
        raise Http404
    region_code = request.GET.get("region", "").strip()
    if region_code and region_get(code=region_code) is None:
        raise Http404
    view = viewpoint_resolve(roots=stats_roots(user=request.user), region_code=region_code)
    if view is None or view.org is not None:
        return render(request, "analytics/report_denied.html", {"message": NOT_ALLOWED}, status=403)
    report = annual_report(year=year, region_code=view.region.code)
    return render(request, "analytics/report_annual.html", {"report": report})
