"""Keeping the rollups in step with the facts.

A case's contribution to the rollups is a function of its fact row alone, so a refresh takes
the stored fact's contribution out and puts the new one in: the same code serves the
incremental job (cases with events since the watermark, and cases whose due time has passed)
and the full rebuild, and running it twice changes nothing.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from xinfang.analytics.facts import CategoryTops, cases_load, fact_compute
from xinfang.analytics.models import (
    PART_ORG,
    PARTS,
    AreaRollup,
    CaseFact,
    Exclusion,
    Grain,
    KpiRollup,
    RollupState,
    RollupSums,
    UnitRollup,
)
from xinfang.cases.models import Case, CaseEvent

log = logging.getLogger(__name__)

# (table, grain, bucket, unit, county, category, channel, type); the reduced tables zero the
# dimensions they do not keep.
Key = tuple[str, str, date, int, str, int, str, str]
Delta = dict[Key, Counter[str]]
STATE = "kpi"
# Event ids are taken before their transactions commit, so a low id can become visible after a
# higher one was read; re-reading a margin below the watermark catches it (refreshes are
# idempotent, so reading a case twice costs only time).
OVERLAP = 1000
BATCH = 500


def contributions(fact: CaseFact, sign: int = 1, into: Delta | None = None) -> Delta:
    """What one fact adds to the full table's day rows: per key, +1 to each part's
    denominator and its numerator to the numerator (`expand` derives the other rows)."""
    out: Delta = defaultdict(Counter) if into is None else into
    dims = (fact.region, fact.category_id, fact.channel, fact.petition_type)
    for part in PARTS:
        day = getattr(fact, f"{part}_day")
        if day is None:
            continue
        org = int(getattr(fact, PART_ORG.get(part, "org_id")) or 0)
        counter = out[("full", str(Grain.DAY), day, org, *dims)]
        counter[f"{part}_den"] += sign
        num = int(getattr(fact, f"{part}_num") or 0)
        if num:
            counter[f"{part}_num"] += sign * num
    return out


def expand(delta: Delta) -> Delta:
    """Full-table day sums → the rows kept: full table by month, the reduced tables by day
    and by month. Done on the summed delta, not per case."""
    out: Delta = defaultdict(Counter)
    for (_table, _grain, day, org, region, cat, channel, ptype), counter in delta.items():
        month = str(Grain.MONTH), day.replace(day=1)
        # The full table is kept by month only: by day it would hold about one row per case
        # and part (unit × category × channel × type is nearly unique per petition).
        out[("full", *month, org, region, cat, channel, ptype)].update(counter)
        for grain, bucket in ((str(Grain.DAY), day), month):
            out[("area", grain, bucket, 0, region, cat, channel, ptype)].update(counter)
            out[("unit", grain, bucket, org, region, 0, "", "")].update(counter)
    return out


TABLES: dict[str, type[RollupSums]] = {"full": KpiRollup, "area": AreaRollup, "unit": UnitRollup}


def _key_fields(key: Key) -> tuple[type[RollupSums], dict[str, Any]]:
    table, grain, bucket, org, region, category, channel, ptype = key
    fields: dict[str, Any] = {"grain": grain, "bucket": bucket, "region": region}
    if table != "area":
        fields["org_id"] = org
    if table != "unit":
        fields |= {"category_id": category, "channel": channel, "petition_type": ptype}
    return TABLES[table], fields


def rollup_apply(delta: Delta) -> None:
    """Add a delta to the rollup rows (creating rows as needed), inside the caller's
    transaction. Rows are updated with F() increments so concurrent writers cannot lose sums."""
    for key, counter in delta.items():
        changes = {c: n for c, n in counter.items() if n}
        if not changes:
            continue
        model, fields = _key_fields(key)
        increments = {c: F(c) + n for c, n in changes.items()}
        if model._default_manager.filter(**fields).update(**increments):
            continue
        try:
            with transaction.atomic():
                model._default_manager.create(**fields, **changes)
        except IntegrityError:  # created meanwhile by another writer: add to it instead
            model._default_manager.filter(**fields).update(**increments)


def _exclusions(case_ids: Sequence[int]) -> dict[int, list[Exclusion]]:
    found: dict[int, list[Exclusion]] = defaultdict(list)
    for ex in Exclusion.objects.filter(case_id__in=case_ids):
        found[ex.case_id].append(ex)
    return found


def facts_compute(
    case_ids: Sequence[int], now: datetime, tops: CategoryTops | None = None
) -> list[CaseFact]:
    tops = tops or CategoryTops()
    exclusions = _exclusions(case_ids)
    return [
        fact_compute(data=data, now=now, tops=tops, exclusions=exclusions.get(data.case.pk, ()))
        for data in cases_load(case_ids)
    ]


@transaction.atomic
def facts_refresh(*, case_ids: Sequence[int], now: datetime | None = None) -> int:
    """Recompute the facts of these cases and move the rollups by the difference."""
    now = now or timezone.now()
    ids = sorted(set(case_ids))
    old = {f.case_id: f for f in CaseFact.objects.filter(case_id__in=ids)}
    new = facts_compute(ids, now)
    delta: Delta = defaultdict(Counter)
    for fact in old.values():
        contributions(fact, -1, into=delta)
    for fact in new:
        contributions(fact, +1, into=delta)
    CaseFact.objects.filter(case_id__in=ids).delete()
    CaseFact.objects.bulk_create(new)
    rollup_apply(expand(delta))
    return len(new)


def _claim(now: datetime) -> RollupState | None:
    """Take the refresh lock (compare-and-set on the state row); None if another run holds it."""
    state, _ = RollupState.objects.get_or_create(name=STATE)
    stale = now - timedelta(seconds=int(getattr(settings, "XINFANG_JOB_STALE_SECONDS", 3600)))
    taken = RollupState.objects.filter(pk=state.pk, running_since__isnull=True).update(
        running_since=now
    ) or RollupState.objects.filter(pk=state.pk, running_since__lt=stale).update(running_since=now)
    if not taken:
        return None
    state.refresh_from_db()
    return state


def _release(state: RollupState, **fields: Any) -> None:
    RollupState.objects.filter(pk=state.pk).update(running_since=None, **fields)


def _chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    batch: list[int] = []
    for i in ids:
        batch.append(i)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def rollup_refresh(*, now: datetime | None = None) -> int:
    """The incremental job: refresh the cases with events since the watermark and the cases
    whose next due time has passed. Returns the number of facts refreshed (-1: locked)."""
    now = now or timezone.now()
    state = _claim(now)
    if state is None:
        return -1
    try:
        top = CaseEvent.objects.aggregate(m=Max("pk"))["m"] or 0
        since = max(0, state.last_event_id - OVERLAP)
        changed = set(
            CaseEvent.objects.filter(pk__gt=since, pk__lte=top)
            .values_list("case_id", flat=True)
            .distinct()
        )
        changed |= set(
            CaseFact.objects.filter(recheck_at__lte=now).values_list("case_id", flat=True)
        )
        done = 0
        for batch in _chunks(sorted(changed), BATCH):
            done += facts_refresh(case_ids=batch, now=now)
    except BaseException:
        _release(state)
        raise
    _release(state, last_event_id=top, refreshed_at=now)
    return done


def _bucket_sql(column: str, grain: str) -> str:
    if grain == Grain.DAY:
        return column
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


# The dimensions each rollup table keeps ("org" is the part's own unit column, PART_ORG).
TABLE_DIMS = {
    "full": ("org", "region", "category_id", "channel", "petition_type"),
    "area": ("region", "category_id", "channel", "petition_type"),
    "unit": ("org", "region"),
}
TABLE_GRAINS = {"full": (Grain.MONTH,), "area": (Grain.DAY, Grain.MONTH),
                "unit": (Grain.DAY, Grain.MONTH)}  # fmt: skip


def _rollup_sql(table: str, grain: str) -> str:
    """INSERT … SELECT summing every fact part into one rollup table and grain, in the
    database: a rebuild holds no per-key state in Python however many petitions there are."""
    model, dims = TABLES[table], TABLE_DIMS[table]
    out_dims = ["org_id" if d == "org" else d for d in dims]
    columns = [f"{p}_{x}" for p in PARTS for x in ("num", "den")]
    selects = []
    for part in PARTS:
        fields = [f"{_bucket_sql(part + '_day', grain)} AS bucket"]
        fields += [f"{PART_ORG.get(part, 'org_id')} AS org_id" if d == "org" else d for d in dims]
        for c in columns:
            value = {f"{part}_num": f"{part}_num", f"{part}_den": "1"}.get(c, "0")
            fields.append(f"{value} AS {c}")
        fact_table = CaseFact._meta.db_table
        where = f"{part}_day IS NOT NULL"
        selects.append(f"SELECT {', '.join(fields)} FROM {fact_table} WHERE {where}")  # noqa: S608
    # Every identifier comes from model metadata and PARTS, and the grain from Grain: no input.
    sums = ", ".join(f"SUM({c})" for c in columns)
    group = ", ".join(["bucket", *out_dims])
    head = f"INSERT INTO {model._meta.db_table} (grain, bucket, {', '.join(out_dims)}, "
    body = f"{', '.join(columns)}) SELECT '{grain}', {group}, {sums} FROM ("  # noqa: S608
    return head + body + " UNION ALL ".join(selects) + f") u GROUP BY {group}"


def rollups_from_facts() -> None:
    """Fill the (emptied) rollup tables from the fact table."""
    with connection.cursor() as cursor:
        for table, grains in TABLE_GRAINS.items():
            for grain in grains:
                cursor.execute(_rollup_sql(table, str(grain)))


def rollup_rebuild(
    *, now: datetime | None = None, progress: Callable[[int, int], None] | None = None
) -> int:
    """Recompute every fact and rollup from scratch (analytics_rebuild). Holds the refresh
    lock, so the incremental job waits; the watermark is set to the last event read."""
    now = now or timezone.now()
    state = _claim(now)
    if state is None:
        raise RuntimeError("a rollup refresh is running")
    try:
        top = CaseEvent.objects.aggregate(m=Max("pk"))["m"] or 0
        total = Case.objects.count()
        tops = CategoryTops()
        done = 0
        with transaction.atomic():
            CaseFact.objects.all().delete()
            for model in TABLES.values():
                model._default_manager.all().delete()
            ids = Case.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=5000)
            for batch in _chunks(ids, 2000):
                facts = facts_compute(batch, now, tops)
                CaseFact.objects.bulk_create(facts, batch_size=1000)
                done += len(facts)
                if progress:
                    progress(done, total)
            rollups_from_facts()
    except BaseException:
        _release(state)
        raise
    _release(state, last_event_id=top, refreshed_at=now)
    return done
