"""Hot issues in the product: the refresh over real petitions, its alerts, the staff page."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from xinfang.cases.models import Case
from xinfang.cases.tests.factories import make_case
from xinfang.handling.models import AlertKind, StaffAlert
from xinfang.handling.tests.world import World
from xinfang.jobs.services import task_resolve
from xinfang.orgs.models import Org
from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_bureau, make_staff
from xinfang.triage.hotwatch import hot_issues_refresh
from xinfang.triage.models import HotIssue, HotIssueMember
from xinfang.triage.tasks import hot_issues_refresh_task
from xinfang.triage.tests.test_hotspots import NOISE, UNRELATED
from xinfang.workbench.tests.test_views import as_user

NOW = timezone.now()


def petitions(rows: list[tuple[str, str]], *, days_ago: float = 1, **extra: str) -> list[Case]:
    """Cases filed through intake, then dated `days_ago` back (an hour apart)."""
    cases = [make_case(title=t, content=x, **extra) for t, x in rows]
    for i, case in enumerate(cases):
        at = NOW - timedelta(days=days_ago, hours=i)
        Case.objects.filter(pk=case.pk).update(received_at=at)
    return cases


def ids(cases: list[Case]) -> set[int]:
    return {c.pk for c in cases}


def members(issue: HotIssue) -> set[int]:
    return set(HotIssueMember.objects.filter(issue=issue).values_list("case_id", flat=True))


def hot_alerts(org: Org) -> int:
    return StaffAlert.objects.filter(org=org, kind=AlertKind.HOTSPOT).count()


def test_one_estates_noise_complaints_become_one_stored_issue(world: World) -> None:
    noise = petitions(NOISE)
    petitions(UNRELATED)
    result = hot_issues_refresh(now=NOW)
    assert (result.scopes, result.petitions, result.issues) == (1, 8, 1)
    [issue] = HotIssue.objects.all()
    assert members(issue) == ids(noise)
    assert issue.region.code == "430100"  # 芙蓉区's city: the scope clustered together
    assert issue.place == "翠湖花园"
    assert "噪音" in issue.label.split()
    assert (issue.size, issue.new, issue.previous, issue.support) == (4, 4, 0, 0)
    assert issue.is_growing
    assert not issue.alerted  # no petition bureau covers the city in this world
    # Petitions older than the window are not clustered.
    Case.objects.update(received_at=NOW - timedelta(days=40))
    hot_issues_refresh(now=NOW)
    assert not HotIssue.objects.exists()


def test_a_refresh_replaces_the_snapshot(world: World) -> None:
    noise = petitions(NOISE[:3], days_ago=10)
    hot_issues_refresh(now=NOW)
    [first] = HotIssue.objects.all()
    assert (first.size, first.new, first.previous, first.is_growing) == (3, 0, 3, False)
    more = petitions(NOISE[3:])
    hot_issues_refresh(now=NOW + timedelta(minutes=1))
    [second] = HotIssue.objects.all()
    assert second.pk != first.pk
    assert members(second) == ids(noise + more)
    assert (second.size, second.new, second.previous) == (4, 1, 3)
    assert HotIssueMember.objects.count() == 4  # the first snapshot's rows are gone


def test_a_growing_issue_alerts_the_city_bureau_once(world: World) -> None:
    city = make_bureau("430100")
    noise = petitions(NOISE)
    assert hot_issues_refresh(now=NOW).alerts == 1
    alert = StaffAlert.objects.get(org=city, kind=AlertKind.HOTSPOT)
    assert alert.case_id == noise[0].pk  # the newest petition of the issue
    assert "翠湖花园" in alert.text
    assert HotIssue.objects.get().alerted
    # The next refreshes see the same growing cluster (even with a petition more): no alert.
    petitions(NOISE[:1], days_ago=0.5)
    assert hot_issues_refresh(now=NOW).alerts == 0
    assert hot_issues_refresh(now=NOW).alerts == 0
    assert hot_alerts(city) == 1
    assert HotIssue.objects.get().alerted
    # Two weeks on the cluster has stopped growing; a new surge is a new growth: alerted again.
    later = NOW + timedelta(days=15)
    hot_issues_refresh(now=later)
    assert not HotIssue.objects.get().is_growing
    for case in petitions(NOISE[1:], days_ago=0):
        Case.objects.filter(pk=case.pk).update(received_at=later - timedelta(hours=1))
    assert hot_issues_refresh(now=later).alerts == 1
    assert hot_alerts(city) == 2


def test_the_page_lists_issues_with_only_the_cases_the_user_may_see(world: World) -> None:
    mine = petitions(NOISE)
    make_bureau("430103")  # 天心区: same city, not the 芙蓉区 bureau's region
    [theirs] = petitions(NOISE[:1], region_code="430103")
    assert theirs.register_org.region.code == "430103"
    petitions(UNRELATED)
    hot_issues_refresh(now=NOW)
    [issue] = HotIssue.objects.all()
    assert members(issue) == ids(mine) | {theirs.pk}

    page = as_user(world.registrar).get("/staff/hot/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/staff/hot/"' in html  # the workbench navigation links to it
    assert f'id="hot-{issue.pk}"' in html
    assert "翠湖花园" in html
    assert "快速增长" in html
    for case in mine:
        assert f'href="/staff/cases/{case.pk}/"' in html
        assert case.item_number in html
    assert theirs.item_number not in html
    assert f"/staff/cases/{theirs.pk}/" not in html
    assert "另有 1 件未列出" in html
    # The cases listed are ones the user may open.
    assert as_user(world.registrar).get(f"/staff/cases/{mine[0].pk}/").status_code == 200

    # A county bureau with no member case sees no issue: the city's issues are not its region.
    elsewhere = make_staff(org=make_bureau("430104"))
    html = as_user(elsewhere).get("/staff/hot/").content.decode()
    assert "翠湖花园" not in html
    assert "暂无热点问题" in html
    # An analyst of the province reads no case but follows its issues as figures.
    analyst = make_staff(org=make_bureau("430000"), role=Role.ANALYST)
    html = as_user(analyst).get("/staff/hot/").content.decode()
    assert f'id="hot-{issue.pk}"' in html
    assert "/staff/cases/" not in html
    assert "另有 5 件未列出" in html


def test_the_page_needs_a_signed_in_user(world: World) -> None:
    from django.test import Client

    page = Client().get("/staff/hot/")
    assert page.status_code == 302


def test_the_task_refreshes_and_is_scheduled(world: World) -> None:
    petitions(NOISE)
    result = hot_issues_refresh_task.enqueue()
    assert result.return_value == {"scopes": 1, "petitions": 4, "issues": 1, "alerts": 0}
    assert HotIssue.objects.count() == 1
    entry = settings.XINFANG_SCHEDULE["triage.hot_issues"]
    assert task_resolve(path=str(entry["task"])) is not None
    assert entry["every"] == 3600


def test_the_cap_keeps_the_newest_petitions(world: World) -> None:
    petitions(NOISE[:3], days_ago=2)
    petitions(NOISE, days_ago=1)
    result = hot_issues_refresh(now=NOW, max_items=4)
    assert result.petitions == 4
    [issue] = HotIssue.objects.all()
    newest: datetime = NOW - timedelta(days=1)
    assert all(c.received_at > newest - timedelta(hours=4) for c in _cases(issue))


def _cases(issue: HotIssue) -> list[Case]:
    return list(Case.objects.filter(pk__in=members(issue)))


def test_public_support_counts_towards_an_issue(world: World) -> None:
    from xinfang.board.models import Support, SupportKind

    noise = petitions(NOISE)
    for n, kind in enumerate((SupportKind.LIKE, SupportKind.ME_TOO, SupportKind.LIKE)):
        Support.objects.create(case=noise[0], kind=kind, supporter=f"s{n}", created_at=NOW)
    Support.objects.create(case=noise[1], kind=SupportKind.LIKE, supporter="s0", created_at=NOW)
    hot_issues_refresh(now=NOW)
    assert HotIssue.objects.get().support == 4
