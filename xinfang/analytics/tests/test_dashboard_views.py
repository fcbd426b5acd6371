"""The dashboards over the real HTTP stack: who may look where, the figures on the page equal
the KPI selectors' values, and a figure's drill-down lists exactly the cases behind it.

The data is kpi_world's ten petitions of 2025 in 芙蓉区 (430102), worked through the real
workflow, plus two petitions in 天心区 (430103) so a county's view has a neighbour to keep out.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from django.core.cache import cache
from django.test import Client
from openpyxl import load_workbook

from xinfang.analytics.dashboard import ONLINE_CHANNELS, hot_for_view
from xinfang.analytics.rollup import rollup_refresh
from xinfang.analytics.selectors import Period, Slice, kpi_breakdown, kpi_cases, kpi_summary
from xinfang.analytics.tests.kpi_world import KpiWorld
from xinfang.analytics.viewpoints import Viewpoint
from xinfang.cases.models import Case, Channel
from xinfang.cases.tests.factories import make_case, petition_payload
from xinfang.clock.engine import TZ
from xinfang.intake.services import petition_submit
from xinfang.orgs.models import Org, User
from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_bureau, make_org, make_staff
from xinfang.triage.hotwatch import hot_issues_refresh
from xinfang.triage.models import HotIssue
from xinfang.triage.tests.test_hotspots import NOISE
from xinfang.triage.tests.test_hotwatch import NOW as HOT_NOW
from xinfang.triage.tests.test_hotwatch import petitions
from xinfang.workbench.tests.test_views import as_user

NOW = datetime(2026, 1, 15, 9, tzinfo=TZ)
YEAR = Period.year(2025)
Q2025 = "period=year&year=2025"
DASH = "/staff/analytics/"
CASES = "/staff/analytics/cases/"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # The dashboard caches its figures per view and period; each test starts without them.
    cache.clear()
    yield
    cache.clear()


class People:
    def __init__(self, kw: KpiWorld) -> None:
        province = make_bureau("430000")
        self.neighbour = make_bureau("430103")
        self.province = make_staff(org=province, role=Role.ANALYST)
        self.county = make_staff(org=kw.w.bureau, role=Role.ANALYST)
        self.supervisor = kw.w.supervisor  # 芙蓉区信访局: cases of the county and statistics
        self.unit = make_staff(org=kw.w.housing, role=Role.ANALYST)
        self.handler = kw.w.handler  # no statistics permission


@pytest.fixture
def world(kw: KpiWorld) -> tuple[KpiWorld, People]:
    people = People(kw)
    for title in ("天心区路灯不亮", "天心区噪音扰民"):
        case = make_case(title=title, region_code="430103")
        Case.objects.filter(pk=case.pk).update(received_at=datetime(2025, 9, 1, 9, tzinfo=TZ))
    rollup_refresh(now=NOW)
    return kw, people


def page(user: User, url: str) -> tuple[int, BeautifulSoup]:
    response = as_user(user).get(url)
    return response.status_code, BeautifulSoup(response.content, "html.parser")


def one(soup: BeautifulSoup | Tag, selector: str) -> Tag:
    found = soup.select_one(selector)
    assert found is not None, selector
    return found


def attr(tag: Tag, name: str) -> str:
    return str(tag[name])


def card(soup: BeautifulSoup, key: str) -> tuple[str, str]:
    """(the figure, "num / den") of a KPI card."""
    li = soup.select_one(f'li[data-kpi="{key}"]')
    assert li is not None, key
    nd = li.select_one(".nd")
    return li.select_one(".v").get_text(strip=True), nd.get_text(" ", strip=True) if nd else ""


def listed(soup: BeautifulSoup) -> set[int]:
    return {int(tr["data-case"]) for tr in soup.select("[data-testid=case-list] tr[data-case]")}


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


# --- who may look where -----------------------------------------------------------------------


def test_staff_without_the_statistics_permission_get_403(world: Any) -> None:
    _kw, p = world
    for url in (DASH, f"{CASES}?kpi=K2&{Q2025}"):
        status, soup = page(p.handler, url)
        assert status == 403
        assert "没有查看统计分析的权限" in soup.get_text()
    # …and the workbench shows them no link to it; an analyst sees one.
    assert "/staff/analytics/" not in as_user(p.handler).get("/staff/").content.decode()
    assert 'href="/staff/analytics/"' in as_user(p.county).get("/staff/").content.decode()


def test_anonymous_users_are_sent_to_sign_in() -> None:
    response = Client().get(DASH)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/auth/login/")


def test_the_level_follows_the_users_scope(world: Any) -> None:
    _kw, p = world
    expected = {p.province: "province", p.county: "county", p.unit: "unit"}
    for user, level in expected.items():
        status, soup = page(user, f"{DASH}?{Q2025}")
        assert status == 200
        assert attr(one(soup, "[data-testid=dashboard]"), "data-level") == level


def test_a_county_analyst_cannot_see_another_county(world: Any) -> None:
    kw, p = world
    other_unit = Org.objects.get(pk=p.neighbour.pk)
    for url in (
        f"{DASH}?region=430103",
        f"{DASH}?region=430100",  # the city above is wider than theirs
        f"{DASH}?region=430000",
        f"{DASH}?org={other_unit.pk}",
        f"{CASES}?kpi=VOL&{Q2025}&region=430103",
    ):
        status, soup = page(p.county, url)
        assert status == 403, url
        assert "不在您的统计范围内" in soup.get_text()
    # Their own county and units inside it are theirs.
    assert page(p.county, f"{DASH}?region=430102")[0] == 200
    assert page(p.county, f"{DASH}?org={kw.w.housing.pk}")[0] == 200


def test_a_unit_sees_itself_only(world: Any) -> None:
    kw, p = world
    assert page(p.unit, f"{DASH}?region=430102")[0] == 403
    assert page(p.unit, f"{DASH}?org={kw.transport.pk}")[0] == 403
    status, soup = page(p.unit, f"{DASH}?{Q2025}")
    assert status == 200
    expected = kpi_summary(period=YEAR, slice=Slice(org_id=kw.w.housing.pk))
    assert card(soup, "K2")[1] == f"{expected['K2'].num} / {expected['K2'].den}"


def test_the_province_drills_down_to_a_city_and_a_county(world: Any) -> None:
    _kw, p = world
    status, soup = page(p.province, f"{DASH}?{Q2025}")
    assert status == 200
    rows = soup.select("[data-table=area] tbody tr")
    assert [r.th.get_text(strip=True) for r in rows] == ["长沙市"]
    drill = one(rows[0], "a[data-drill]")
    assert attr(drill, "data-drill") == "region=430100"
    status, soup = page(p.province, DASH + attr(drill, "href"))
    assert status == 200
    assert attr(one(soup, "[data-testid=dashboard]"), "data-level") == "city"
    counties = {r.th.get_text(strip=True) for r in soup.select("[data-table=area] tbody tr")}
    assert counties == {"芙蓉区", "天心区"}
    # The breadcrumb leads back up.
    assert [a.get_text() for a in soup.select(".an-trail a")] == ["湖南省"]


# --- the figures are the selectors' ---------------------------------------------------------


def test_the_cards_show_the_selectors_values(world: Any) -> None:
    _kw, p = world
    status, soup = page(p.county, f"{DASH}?{Q2025}")
    assert status == 200
    summary = kpi_summary(period=YEAR, slice=Slice(region_code="430102"))
    for key in ("K2", "K17", "K3", "K7", "K6", "K9", "K12", "K16"):
        value = summary[key]
        assert card(soup, key) == (percent(value.rate), f"{value.num} / {value.den}"), key
    assert card(soup, "VOL")[0] == str(summary["VOL"].num)
    # Worked out by hand in test_kpi_formulas: on time 5 of 7, satisfied 3 of 4 rated.
    assert card(soup, "K2") == ("71.4%", "5 / 7")
    assert card(soup, "K7") == ("75.0%", "3 / 4")


def test_the_tables_and_charts_show_the_breakdowns(world: Any) -> None:
    _kw, p = world
    status, soup = page(p.county, f"{DASH}?{Q2025}")
    assert status == 200
    s = Slice(region_code="430102")
    by_category = kpi_breakdown(period=YEAR, slice=s, by="category")
    rows = soup.select("[data-table=category] tbody tr")
    shown = {r.th.get_text(strip=True): r.find_all("td")[0].get_text(strip=True) for r in rows}
    assert shown == {b.label: str(b.volume) for b in by_category if b.key not in ("", "0")}
    data = json.loads(soup.select_one("#analytics-data").string)["charts"]
    volume = data["volume"]
    assert (
        sum(sum(s["data"]) for s in volume["series"])
        == kpi_summary(period=YEAR, slice=s)["VOL"].num
    )
    assert len(volume["buckets"]) == 12  # a year, month by month
    assert data["category"]["values"] == [b.volume for b in by_category if b.key not in ("", "0")]
    # The area table of a county lists its units.
    units = {r.th.get_text(strip=True) for r in soup.select("[data-table=area] tbody tr")}
    assert "芙蓉区住房和城乡建设局" in units


def test_the_online_share_counts_the_online_channels(world: Any) -> None:
    _kw, p = world
    status, soup = page(p.county, f"{DASH}?{Q2025}")
    assert status == 200
    summary = kpi_summary(period=YEAR, slice=Slice(region_code="430102"))
    online = sum(
        b.volume
        for b in kpi_breakdown(period=YEAR, slice=Slice(region_code="430102"), by="channel")
        if b.key in ONLINE_CHANNELS
    )
    vol = summary["VOL"].num
    assert card(soup, "ONLINE") == (percent(online / vol), f"{online} / {vol}")
    assert card(soup, "ONLINE") == ("100.0%", "10 / 10")  # the ten are API petitions


def test_a_letter_is_not_an_online_petition(world: Any) -> None:
    _kw, p = world
    letter = petition_submit(
        channel=Channel.LETTER,
        data=petition_payload(title="来信反映路灯不亮", region_code="430102"),
        received_at=datetime(2025, 9, 2, 9, tzinfo=TZ),
    ).case
    rollup_refresh(now=NOW)
    assert letter.channel == Channel.LETTER
    _status, soup = page(p.county, f"{DASH}?{Q2025}")
    assert card(soup, "ONLINE") == ("90.9%", "10 / 11")  # hand-worked: 10 ÷ 11


def test_a_month_and_a_custom_period(world: Any) -> None:
    _kw, p = world
    status, soup = page(p.county, f"{DASH}?period=month&year=2025&month=8")
    assert status == 200
    august = kpi_summary(period=Period.month(2025, 8), slice=Slice(region_code="430102"))
    assert card(soup, "VOL")[0] == str(august["VOL"].num)
    data = json.loads(soup.select_one("#analytics-data").string)["charts"]
    assert len(data["volume"]["buckets"]) == 31  # day by day
    status, soup = page(p.county, f"{DASH}?period=custom&start=2025-08-01&end=2025-08-04")
    assert status == 200
    first = kpi_summary(
        period=Period(date(2025, 8, 1), date(2025, 8, 5)),
        slice=Slice(region_code="430102"),
    )
    assert card(soup, "VOL")[0] == str(first["VOL"].num)


def test_bad_period_input_answers_400_with_field_messages(world: Any) -> None:
    _kw, p = world
    status, soup = page(p.county, f"{DASH}?period=custom&start=2025-08-05")
    assert status == 400
    assert "自定义周期须填写结束日期" in soup.get_text()
    status, soup = page(p.county, f"{DASH}?period=custom&start=2025-08-05&end=2025-08-01")
    assert status == 400
    assert "结束日期不能早于开始日期" in soup.get_text()
    assert page(p.county, f"{DASH}?period=month&year=2025&month=13")[0] == 400
    assert page(p.county, f"{DASH}?region=43x")[0] == 400
    status, soup = page(p.county, f"{CASES}?kpi=K99&{Q2025}")
    assert status == 400
    assert "未知的统计指标" in soup.get_text()


def test_english_labels(world: Any) -> None:
    _kw, p = world
    client = as_user(p.county)
    client.post("/i18n/setlang/", {"language": "en", "next": DASH})
    soup = BeautifulSoup(client.get(f"{DASH}?{Q2025}").content, "html.parser")
    assert attr(one(soup, "html"), "lang") == "en"
    li = soup.select_one('li[data-kpi="K2"]')
    assert li.select_one(".k").get_text(strip=True) == "On-time completion rate"


# --- drill-down --------------------------------------------------------------------------------


def test_a_figure_links_to_exactly_the_cases_behind_it(world: Any) -> None:
    kw, p = world
    status, soup = page(p.supervisor, f"{DASH}?{Q2025}")
    assert status == 200
    link = attr(one(soup, '[data-testid="figure-K2"]'), "href")
    assert link.startswith(CASES)
    status, drill = page(p.supervisor, link)
    assert status == 200
    expected = kpi_cases(
        user=p.supervisor, kpi="K2", part="num", period=YEAR, slice=Slice(region_code="430102")
    )
    assert listed(drill) == {c.pk for c in expected}
    # By hand: replied within the due time — A, C, D, E and G.
    assert listed(drill) == {kw.cases[k].pk for k in "ACDEG"}
    assert drill.select_one("[data-testid=total]").get_text(strip=True) == "5"
    # Each row opens the case in the workbench.
    hrefs = {a["href"] for a in drill.select("[data-testid=case-list] th a")}
    assert hrefs == {f"/staff/cases/{kw.cases[k].pk}/" for k in "ACDEG"}
    # The denominator adds the late and the unanswered ones.
    den = attr(one(soup, '[data-testid="den-K2"]'), "href")
    assert listed(page(p.supervisor, den)[1]) == {kw.cases[k].pk for k in "ABCDEFG"}


def test_an_analyst_sees_how_many_cases_but_not_which(world: Any) -> None:
    _kw, p = world
    status, drill = page(p.county, f"{CASES}?kpi=K2&part=num&{Q2025}")
    assert status == 200
    assert listed(drill) == set()
    assert drill.select_one("[data-testid=total]").get_text(strip=True) == "5"
    assert re.search(r"其中 5 件不在您的信访件查阅范围内", drill.get_text())


def test_volume_cells_link_to_their_months_cases(world: Any) -> None:
    kw, p = world
    status, soup = page(p.supervisor, f"{DASH}?{Q2025}")
    assert status == 200
    august = next(
        r for r in soup.select("[data-table=volume] tbody tr") if r.th.get_text() == "2025-08"
    )
    total = one(august.find_all("td")[-2], "a")  # the month's total, every channel
    assert "start=2025-08-01" in attr(total, "href")
    assert "end=2025-08-31" in attr(total, "href")
    status, drill = page(p.supervisor, attr(total, "href"))
    assert status == 200
    assert len(listed(drill)) == int(total.get_text())
    assert listed(drill) == {c.pk for c in kw.cases.values() if c.received_at.month == 8}


def test_live_figures_and_their_cases(world: Any) -> None:
    _kw, p = world
    status, soup = page(p.supervisor, f"{DASH}?{Q2025}")
    assert status == 200
    open_now = int(card(soup, "OPEN")[0].replace(",", ""))
    status, drill = page(p.supervisor, attr(one(soup, '[data-testid="figure-OPEN"]'), "href"))
    assert status == 200
    assert drill.select_one("[data-testid=total]").get_text(strip=True) == str(open_now)
    assert len(listed(drill)) == open_now
    supervision = soup.select("[data-testid=supervision] li")
    assert [li["data-kpi"] for li in supervision] == [
        "SUP_OPEN",
        "SUP_LATE",
        "SUP_ANSWERED",
        "SUP_ESCALATED",
    ]
    # F got two supervision orders in 2025, neither answered (kpi_world).
    counted = sum(int(one(li, ".v").get_text()) for li in supervision)
    assert counted == 2


def test_hot_issues_with_growth_alerts(world: Any) -> None:
    _kw, p = world
    petitions(NOISE)  # four noise complaints in one estate of 芙蓉区 this week
    hot_issues_refresh(now=HOT_NOW)
    status, soup = page(p.county, DASH)
    assert status == 200
    rows = soup.select("[data-testid=hot] tbody tr.an-growing")
    assert len(rows) == 1
    assert "翠湖花园" in rows[0].get_text()
    assert "快速增长" in rows[0].get_text()
    # Another county's analyst does not see 芙蓉区's issue.
    other = make_staff(org=p.neighbour, role=Role.ANALYST)
    assert not page(other, DASH)[1].select("[data-testid=hot] tbody tr.an-growing")


def test_a_units_hot_issues_are_those_it_has_a_petition_in(world: Any) -> None:
    kw, _p = world
    noise = petitions(NOISE)
    hot_issues_refresh(now=HOT_NOW)
    issue = HotIssue.objects.get(members__case=noise[0])
    housing = Org.objects.select_related("region").get(pk=kw.w.housing.pk)
    assert issue not in hot_for_view(Viewpoint(housing.region, housing))
    # Housing now leads one of the issue's petitions; a unit of the same county leads none.
    Case.objects.filter(pk=noise[0].pk).update(lead_org=housing)
    assert issue in hot_for_view(Viewpoint(housing.region, housing))
    idle = make_org(region_code="430102", name="芙蓉区文化旅游体育局")
    assert issue not in hot_for_view(Viewpoint(idle.region, idle))


# --- exports -----------------------------------------------------------------------------------


def test_tables_export_to_excel_and_csv(world: Any) -> None:
    kw, p = world
    client = as_user(p.county)
    response = client.get(f"/staff/analytics/export/category.csv?{Q2025}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    expected = kpi_breakdown(period=YEAR, slice=Slice(region_code="430102"), by="category")
    assert {r[0]: int(r[1]) for r in rows[1:]} == {
        b.label: b.volume for b in expected if b.key not in ("", "0")
    }
    response = client.get(f"/staff/analytics/export/volume.xlsx?{Q2025}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    months = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(months) == 12
    assert (
        sum(row[-2] for row in months)
        == kpi_summary(period=YEAR, slice=Slice(region_code="430102"))["VOL"].num
    )
    # The same rules as the page: another county 403, no such table 404, no permission 403.
    assert client.get("/staff/analytics/export/area.csv?region=430103").status_code == 403
    assert client.get("/staff/analytics/export/nope.csv").status_code == 404
    assert as_user(p.handler).get("/staff/analytics/export/area.csv").status_code == 403
    # The cases behind a figure, as a file: the ones the user may read.
    response = as_user(p.supervisor).get(f"{CASES}?kpi=K2&part=num&{Q2025}&format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r[0] for r in rows[1:]} == {kw.cases[k].item_number for k in "ACDEG"}
