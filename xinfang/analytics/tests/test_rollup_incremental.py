"""The incremental refresh: old contribution out, new one in — equal to a full rebuild."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xinfang.analytics.models import (
    PARTS,
    AreaRollup,
    CaseFact,
    Exclusion,
    KpiRollup,
    MarginRollup,
    RollupState,
    UnitRollup,
)
from xinfang.analytics.rollup import rollup_rebuild, rollup_refresh
from xinfang.analytics.selectors import Period, Slice, kpi_summary
from xinfang.analytics.services import exclusion_remove
from xinfang.analytics.tests.kpi_world import KpiWorld, _rate, _reply, at
from xinfang.audit.models import AuditEntry
from xinfang.clock.engine import TZ

SEPT = datetime(2025, 9, 1, 9, tzinfo=TZ)
NOW = datetime(2026, 1, 15, 9, tzinfo=TZ)
COLUMNS = [f"{p}_{x}" for p in PARTS for x in ("num", "den")]
KEY = ["grain", "bucket", "org_id", "region", "category_id", "channel", "petition_type"]


def rollup_snapshot() -> dict[tuple[Any, ...], tuple[int, ...]]:
    """Every non-empty row of the four rollup tables (an incremental refresh may leave rows
    summing to zero)."""
    out: dict[tuple[Any, ...], tuple[int, ...]] = {}
    for model, key in (
        (KpiRollup, KEY),
        (AreaRollup, [k for k in KEY if k != "org_id"]),
        (UnitRollup, ["grain", "bucket", "org_id", "region"]),
        (MarginRollup, ["grain", "bucket", "region", "dim", "key"]),
    ):
        for r in model.objects.values_list(*key, *COLUMNS):
            if any(r[len(key) :]):
                out[(model.__name__, *r[: len(key)])] = tuple(r[len(key) :])
    return out


def fact_snapshot() -> dict[int, tuple[Any, ...]]:
    fields = [f"{p}_{x}" for p in PARTS for x in ("day", "num")]
    return {r[0]: r[1:] for r in CaseFact.objects.values_list("case_id", *fields)}


def test_incremental_refresh_equals_a_full_rebuild(kw: KpiWorld) -> None:
    w, c = kw.w, kw.cases
    assert rollup_refresh(now=SEPT) == 10
    # On 09-01 F's handling period (due 10-05) had not run out: it is not in K-2 yet.
    oct_ = Period.month(2025, 10)
    assert (kpi_summary(period=oct_, slice=Slice())["K2"].den) == 5  # A B D E G
    # More happens later: transport answers F in December and it is rated 满意; H's exclusion
    # is withdrawn (that refreshes H at once).
    with at(12, 1):
        f = _reply(c["F"], kw.transport_handler, _leader(kw))
    with at(12, 2):
        _rate(f, "satisfied")
    with at(12, 3):
        exclusion_remove(
            exclusion=Exclusion.objects.get(case=c["H"]), actor=w.supervisor, reason="复核后恢复"
        )
    assert rollup_refresh(now=NOW) >= 1
    incremental_rollups, incremental_facts = rollup_snapshot(), fact_snapshot()
    # Refreshing again with nothing new changes nothing.
    rollup_refresh(now=NOW)
    assert rollup_snapshot() == incremental_rollups
    assert rollup_rebuild(now=NOW) == 10
    assert fact_snapshot() == incremental_facts
    assert rollup_snapshot() == incremental_rollups
    # Now F (late) and H (never answered, no longer excluded) are both due in October.
    k2 = kpi_summary(period=oct_, slice=Slice())["K2"]
    assert (k2.num, k2.den) == (4, 7)  # A D E G on time, of A B D E F G and H (due 10-01)


def _leader(kw: KpiWorld) -> Any:
    from xinfang.orgs.permissions import Role
    from xinfang.orgs.tests.factories import make_staff

    return make_staff(org=kw.transport, role=Role.UNIT_LEADER)


def test_a_due_time_passing_moves_the_figures_without_any_event(kw: KpiWorld) -> None:
    rollup_refresh(now=SEPT)
    fact = CaseFact.objects.get(case=kw.cases["F"])
    # F's fact knows when it must be looked at again: the end of its handling period.
    assert fact.recheck_at is not None
    assert fact.recheck_at.astimezone(TZ).date() == date(2025, 10, 5)
    assert fact.k2_day is None
    rollup_refresh(now=NOW)
    fact.refresh_from_db()
    assert (fact.k2_day, fact.k2_num, fact.k12_num, fact.overdue) == (date(2025, 10, 5), 0, 1, True)


def test_a_running_refresh_holds_the_lock(kw: KpiWorld) -> None:
    RollupState.objects.create(name="kpi", running_since=NOW)
    assert rollup_refresh(now=NOW) == -1
    with pytest.raises(RuntimeError):
        rollup_rebuild(now=NOW)
    # A lock older than the stale limit is taken over (its worker is gone).
    assert rollup_refresh(now=datetime(2026, 1, 16, 9, tzinfo=TZ)) == 10


def test_exclusions_are_audited_and_take_the_case_out(kw: KpiWorld) -> None:
    h = kw.cases["H"]
    entry = (
        AuditEntry.objects.filter(object_type="case", object_id=str(h.pk)).order_by("seq").last()
    )
    assert entry is not None
    assert entry.detail["action"] == "kpi_exclusion_add"
    assert (entry.detail["code"], entry.actor) == ("unreasonable", kw.w.supervisor)
    fact = CaseFact.objects.get(case=h)
    assert fact.vol_day is not None
    assert fact.k2_day is None
    assert "k2" in fact.excluded


def test_rebuild_command_reports_progress(kw: KpiWorld) -> None:
    out = StringIO()
    call_command("analytics_rebuild", stdout=out)
    assert "10/10 cases" in out.getvalue()
    assert "rebuilt 10 facts" in out.getvalue()
    assert CaseFact.objects.count() == 10


def test_rollups_only_resums_the_stored_facts(kw: KpiWorld) -> None:
    """After an upgrade that adds a rollup table: the tables are summed again from the facts
    as they are (no fact recomputed), equal to what the incremental job had built."""
    rollup_refresh(now=NOW)
    rollups, facts = rollup_snapshot(), fact_snapshot()
    computed = set(CaseFact.objects.values_list("computed_at", flat=True))
    MarginRollup.objects.all().delete()  # as a migration adding the table leaves it
    AreaRollup.objects.filter(grain="m").update(vol_num=0)  # and any stale sum goes
    out = StringIO()
    call_command("analytics_rebuild", "--rollups-only", stdout=out)
    assert "re-summed the rollups of 10 facts" in out.getvalue()
    assert rollup_snapshot() == rollups
    assert fact_snapshot() == facts
    assert set(CaseFact.objects.values_list("computed_at", flat=True)) == computed
    assert RollupState.objects.get().running_since is None  # the lock is released


def test_only_rebuilds_refresh_planner_statistics(kw: KpiWorld) -> None:
    """A rebuild fills the tables in one transaction, so it runs ANALYZE itself on
    PostgreSQL; the five-minute refresh leaves that to autovacuum (it cost 5 s of 10)."""

    def analyzed(run: Callable[[], object]) -> int:
        with CaptureQueriesContext(connection) as ctx:
            run()
        return sum(q["sql"].startswith("ANALYZE") for q in ctx.captured_queries)

    assert analyzed(lambda: rollup_refresh(now=NOW)) == 0
    expected = 5 if connection.vendor == "postgresql" else 0
    assert analyzed(lambda: rollup_rebuild(now=NOW)) == expected
