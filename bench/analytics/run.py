"""Analytics benchmark: the province dashboard among a million petitions, and the rollups.

    .venv/bin/python bench/analytics/run.py [--n 1000000] [--requests 60] [--events 1000] …

1. Loads `--n` petitions into its own PostgreSQL database with the workbench's loader
   (bench/workbench/run.py `database_load` → bench/workbench/load.py: migrated, seeded with
   Hunan's divisions and the demo units, every case walked along a legal path with its events
   and clocks). A database already loaded with the same `--n` and `--seed` is reused (its
   figures are kept in `bench_analytics_meta`; when the rollup code changed since, its rollup
   tables are summed again from its facts, so the run measures the current ones); `--fresh`
   reloads it.
2. Adds what the loader leaves out and the KPIs read: the petitioners' ratings of the
   handling unit (satisfied / basically / dissatisfied / expired), repeats of an earlier
   petition from the same division, fast-channel flags and 督办 orders on cases that ran past
   their handling limit — in SQL, with a fixed random seed. Then one hot-issue refresh.
3. Times the rollup full build (`rollup_rebuild`, what `manage.py analytics_rebuild` runs).
4. Measures on a copy of that database (so every run starts the same): the province analyst
   (demo `analyst`, 湖南省信访局) opens `/staff/analytics/` — this year's province dashboard —
   through Django's full request stack (test client: middleware, session, URL, view,
   template), interleaved with `GET /healthz` as the baseline; first as configured (the view
   caches its figures per scope and period for a short time), then with the cache cleared
   before every request (`cold`: every figure read from the rollups).
5. Files `--events` new petitions through the intake service (one RECEIVED event each, as a
   day's intake would) and times the incremental refresh (`rollup_refresh`) that follows.

One JSON line on stdout (keys in bench/README.md); progress on stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402  (needs ROOT on sys.path)
    DEFAULT_PG,
    SetupError,
    bench_env,
    database_drop,
    database_exists,
    database_recreate,
    log,
    manage,
    meta_read,
    meta_write,
    percentile_ms,
    pg_urls,
    temp_var_dir,
    terminate_as_exit,
)
from bench.workbench.run import database_load  # noqa: E402

BUDGET_MS = 500.0  # DESIGN.md §9: province dashboard, all KPIs, 1,000,000 petitions
DASHBOARD = "/staff/analytics/"
BASELINE = "/healthz"
ANALYST = "analyst"  # the demo's province analyst at 430000-XFJ (xinfang/demo/units.py)
# Views below the province the same analyst may open, measured cold after it: a city, a county
# and a unit (the workbench benchmark's busy unit), as region code or unit code.
OTHER_VIEWS = {"city": ("region", "430100"), "county": ("region", "430102"),
               "unit": ("org", "430102-ZJ")}  # fmt: skip
META_TABLE = "bench_analytics_meta"
ROLLUP_CODE = ("xinfang/analytics/rollup.py", "xinfang/analytics/models.py")

# Shares of the petitioners' ratings of the handling unit, among replies not anonymous whose
# rating window has run out (the rest expired unrated): DOMAIN §8 K-6/K-7.
EXTRAS_SQL = [
    "SELECT setseed(%(seed)s)",
    # Ratings of the handling unit, within the 30-day window after the reply.
    """
    INSERT INTO handling_rating
        (case_id, round, party, org_id, value, reason, source, annotation, rated_at)
    SELECT id, 1, 'unit', lead_org_id,
           CASE WHEN r < 0.55 THEN 'satisfied' WHEN r < 0.75 THEN 'basic'
                WHEN r < 0.85 THEN 'dissatisfied' ELSE 'expired' END,
           '', 'online', '',
           CASE WHEN r < 0.85 THEN opinion_issued_at + r * interval '29 days'
                ELSE opinion_issued_at + interval '30 days' END
    FROM (SELECT id, lead_org_id, opinion_issued_at, random() AS r FROM cases_case
          WHERE opinion_issued_at IS NOT NULL AND lead_org_id IS NOT NULL
            AND NOT is_anonymous AND opinion_issued_at < %(t0)s - interval '30 days') s
    """,
    # About 7 % repeat the previous petition from the same division.
    """
    UPDATE cases_case c SET repeat_of_id = s.prev
    FROM (SELECT id, lag(id) OVER (PARTITION BY region_id ORDER BY received_at, id) AS prev,
                 random() AS r
          FROM cases_case) s
    WHERE c.id = s.id AND s.prev IS NOT NULL AND s.r < 0.07
    """,
    # The fast channel (欠薪, livelihood…): about 5 % of petitions.
    "UPDATE cases_case SET is_fast_track = true WHERE random() < 0.05",
    # A 督办 order on most cases that ran past their handling limit, a day after it.
    """
    INSERT INTO handling_supervisionorder
        (case_id, level, number, issuer_org_id, target_org_id, problem, feedback_due, status,
         feedback, feedback_at, created_at)
    SELECT case_id, 2, '', register_org_id, lead_org_id, '超期未办结，请于5个工作日内书面反馈。',
           due_at + interval '6 days',
           CASE WHEN r < 0.6 AND due_at + interval '4 days' < %(t0)s THEN 'answered'
                WHEN r < 0.9 THEN 'open' ELSE 'escalated' END,
           CASE WHEN r < 0.6 AND due_at + interval '4 days' < %(t0)s THEN '已督促办理。'
                ELSE '' END,
           CASE WHEN r < 0.6 AND due_at + interval '4 days' < %(t0)s
                THEN due_at + interval '4 days' END,
           due_at + interval '1 day'
    FROM (SELECT k.case_id, k.due_at, c.register_org_id, c.lead_org_id, random() AS r
          FROM cases_caseclock k JOIN cases_case c ON c.id = k.case_id
          WHERE k.kind = 'handle' AND k.expired_at IS NOT NULL AND c.lead_org_id IS NOT NULL
            AND k.due_at + interval '1 day' < %(t0)s) s
    WHERE r < 0.8
    """,
    """
    UPDATE cases_case SET is_supervised = true
    WHERE id IN (SELECT case_id FROM handling_supervisionorder)
    """,
    # As autovacuum would after this many updates: the loader's VACUUM is undone by them (the
    # visibility map decides whether the dashboards' counts can skip the table).
    "VACUUM ANALYZE cases_case",
    "VACUUM ANALYZE handling_rating",
    "VACUUM ANALYZE handling_supervisionorder",
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--n", type=int, default=1_000_000, help="petitions (1,000,000)")
    p.add_argument("--requests", type=int, default=60, help="measured dashboard requests (60)")
    p.add_argument("--warmup", type=int, default=5, help="unmeasured requests (5)")
    p.add_argument("--events", type=int, default=1000, help="new petitions before the refresh")
    p.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server URL (BENCH_PG_URL)")
    p.add_argument("--db-name", default="xinfang_bench_analytics", help="database to load")
    p.add_argument("--seed", type=int, default=2026, help="random seed of the load (2026)")
    p.add_argument("--fresh", action="store_true", help="reload even if a loaded one exists")
    p.add_argument("--drop", action="store_true", help="drop the loaded database afterwards")
    p.add_argument("--build-only", action="store_true", help="load and build; measure nothing")
    p.add_argument("--strict", action="store_true", help="exit 1 when the budget is missed")
    p.add_argument("--child", choices=["build", "resum", "measure"], help=argparse.SUPPRESS)
    p.add_argument("--var-dir", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.n < 1000 or min(args.requests, args.events) <= 0 or args.warmup < 0:
        p.error("--n ≥ 1000; --requests and --events must be positive")
    return args


# --- the loaded database's own record ------------------------------------------------------


def extras_add(db_url: str, t0: datetime, seed: int) -> dict[str, int]:
    """Ratings, repeats, fast-channel flags and 督办 orders (EXTRAS_SQL); returns row counts."""
    params = {"seed": (seed % 1000) / 1000, "t0": t0}
    with psycopg.connect(db_url, autocommit=True) as conn:
        for statement in EXTRAS_SQL:
            conn.execute(statement, params)
        counts = {}
        for key, sql in {
            "ratings": "SELECT count(*) FROM handling_rating",
            "repeats": "SELECT count(*) FROM cases_case WHERE repeat_of_id IS NOT NULL",
            "fast": "SELECT count(*) FROM cases_case WHERE is_fast_track",
            "supervision_orders": "SELECT count(*) FROM handling_supervisionorder",
        }.items():
            row = conn.execute(sql).fetchone()
            counts[key] = int(row[0]) if row else 0
    return counts


# --- children (one Django database per process) ---------------------------------------------


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def child_build(args: argparse.Namespace, meta: dict[str, Any]) -> dict[str, Any]:
    """The hot-issue refresh and the rollup full build, timed, on the loaded database."""
    from xinfang.analytics.models import KpiRollup
    from xinfang.analytics.rollup import rollup_rebuild
    from xinfang.triage.hotwatch import hot_issues_refresh

    t0 = datetime.fromisoformat(meta["t0"])
    started = time.monotonic()
    hot = hot_issues_refresh(now=t0)
    hot_s = time.monotonic() - started
    log(f"hot issues: {hot.issues} in {hot.scopes} scopes ({hot_s:.0f} s)")
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.monotonic() - last[0] >= 30 or done == total:
            last[0] = time.monotonic()
            rate = done / max(time.monotonic() - started, 1e-9)
            log(f"rollup build: {done:,}/{total:,} facts ({rate:,.0f}/s)")

    started = time.monotonic()
    facts = rollup_rebuild(now=t0, progress=progress)
    rebuild_s = time.monotonic() - started
    rows = KpiRollup.objects.count()
    log(f"rollup full build: {facts:,} facts, {rows:,} rollup rows in {rebuild_s:.0f} s")
    return {
        "rollup_full_build_s": round(rebuild_s, 1),
        "facts": facts,
        "rollup_rows": rows,
        "hot_issues": hot.issues,
        "hot_refresh_s": round(hot_s, 1),
    }


def child_resum(args: argparse.Namespace, meta: dict[str, Any]) -> dict[str, Any]:
    """A reused database: its rollup tables summed again from its facts, as
    `analytics_rebuild --rollups-only` does after an upgrade (tables may have been added or
    changed since it was built; the facts stay those of the build)."""
    from xinfang.analytics.models import KpiRollup
    from xinfang.analytics.rollup import rollups_resum

    started = time.monotonic()
    facts = rollups_resum(now=datetime.fromisoformat(meta["t0"]))
    resum_s = time.monotonic() - started
    log(f"rollups re-summed from {facts:,} facts in {resum_s:.0f} s")
    return {"rollup_resum_s": round(resum_s, 1), "rollup_rows": KpiRollup.objects.count()}


def _timed_get(client: Any, url: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(url)
    return time.perf_counter() - started, response.status_code


def _dashboard_runs(args: argparse.Namespace) -> dict[str, Any]:
    """Dashboard and baseline latencies, cached as configured and cold, interleaved."""
    from django.core.cache import cache
    from django.test import Client

    from xinfang.orgs.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=ANALYST))
    first, status = _timed_get(client, DASHBOARD)
    if status != 200:
        raise SetupError(f"{DASHBOARD} answered {status} for {ANALYST!r}")
    for _ in range(args.warmup):
        _timed_get(client, DASHBOARD)
        _timed_get(client, BASELINE)
    lat: dict[str, list[float]] = {"baseline": [], "warm": [], "cold": []}
    errors = 0
    for _ in range(args.requests):
        for name in ("baseline", "warm", "cold"):
            if name == "cold":
                cache.clear()
            seconds, code = _timed_get(client, BASELINE if name == "baseline" else DASHBOARD)
            lat[name].append(seconds)
            errors += code != 200
    figures = {
        name: {
            "p50_ms": round(percentile_ms(values, 0.5), 1),
            "p95_ms": round(percentile_ms(values, 0.95), 1),
            "max_ms": round(percentile_ms(values, 1.0), 1),
        }
        for name, values in lat.items()
    }
    for name, f in figures.items():
        log(f"{name}: " + ", ".join(f"{k} {v}" for k, v in f.items()))
    return {"first_ms": round(first * 1000, 1), "figures": figures, "errors": errors}


def _other_views(args: argparse.Namespace) -> dict[str, float]:
    """Cold p50 of the city, county and unit dashboards (a third of --requests each)."""
    from django.core.cache import cache
    from django.test import Client

    from xinfang.orgs.models import Org, User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=ANALYST))
    out: dict[str, float] = {}
    for name, (param, code) in OTHER_VIEWS.items():
        value = str(Org.objects.get(code=code).pk) if param == "org" else code
        url = f"{DASHBOARD}?{param}={value}"
        times = []
        for _ in range(max(args.requests // 3, 5)):
            cache.clear()
            seconds, status = _timed_get(client, url)
            if status != 200:
                raise SetupError(f"{url} answered {status} for {ANALYST!r}")
            times.append(seconds)
        out[f"{name}_cold_ms"] = round(percentile_ms(times, 0.5), 1)
        log(f"{name} ({url}) cold p50 {out[f'{name}_cold_ms']} ms")
    return out


def _statements() -> int:
    """SQL statements of one cold dashboard request."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from xinfang.orgs.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=ANALYST))
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        client.get(DASHBOARD)
    for i, q in enumerate(ctx.captured_queries, 1):
        log(f"SQL {i} ({q['time']} s): {q['sql'][:160]}")
    return len(ctx.captured_queries)


def _refresh_after_events(args: argparse.Namespace, t0: datetime) -> dict[str, Any]:
    """`--events` petitions through the intake service, then one incremental refresh.

    The refresh runs "at" the build time t0, so it does exactly the new petitions' work: a
    copy measured days after the load would otherwise also recompute every fact whose due
    time passed in between (work the periodic job spreads over those days)."""
    from django.utils import timezone

    from xinfang.analytics.rollup import rollup_refresh
    from xinfang.demo.generator import petition
    from xinfang.intake.services import petition_submit
    from xinfang.orgs.models import Region, RegionLevel

    rng = random.Random(args.seed + 7)
    counties = list(Region.objects.filter(level=RegionLevel.COUNTY).values_list("code", "name"))
    started = time.monotonic()
    for i in range(args.events):
        code, name = rng.choice(counties)
        gen = petition(rng, region_code=code, place=name, now=timezone.now(), days=1)
        petition_submit(channel=gen.channel, data=gen.data, idempotency_key=f"bench-analytics:{i}")
    intake_s = time.monotonic() - started
    log(f"{args.events:,} petitions filed in {intake_s:.1f} s; incremental refresh")
    started = time.monotonic()
    refreshed = rollup_refresh(now=t0)
    refresh_s = time.monotonic() - started
    log(f"rollup_refresh: {refreshed:,} facts in {refresh_s:.2f} s")
    return {"refresh_s": round(refresh_s, 2), "refreshed": refreshed}


def child_measure(args: argparse.Namespace, meta: dict[str, Any]) -> dict[str, Any]:
    statements = _statements()
    runs = _dashboard_runs(args)
    runs["views"] = _other_views(args)
    refresh = _refresh_after_events(args, datetime.fromisoformat(meta["t0"]))
    return {**runs, "statements": statements, **refresh}


def child(args: argparse.Namespace) -> int:
    _admin, db_url = pg_urls(args.pg, args.db_name)
    django_setup(bench_env(db_url, args.var_dir or temp_var_dir()))
    meta = meta_read(db_url, META_TABLE) or {}
    steps = {"build": child_build, "resum": child_resum, "measure": child_measure}
    out = steps[args.child](args, meta)
    print(json.dumps(out), flush=True)
    return 0


def run_child(kind: str, argv: list[str], db_name: str, var_dir: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, *argv, "--child", kind, "--db-name", db_name]
    cmd += ["--var-dir", var_dir]
    result = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        raise SetupError(f"the {kind} step failed ({result.returncode})")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


# --- main ---------------------------------------------------------------------------------


def _reusable(admin_url: str, args: argparse.Namespace, var_dir: str) -> dict[str, Any] | None:
    """The summary of a database loaded earlier with the same --n and --seed, migrated to the
    current code; None when there is none, or it cannot be migrated (then it is reloaded)."""
    _admin, db_url = pg_urls(args.pg, args.db_name)
    if args.fresh or not database_exists(admin_url, args.db_name):
        return None
    meta = meta_read(db_url, META_TABLE)
    if not meta or meta.get("petitions") != args.n or meta.get("seed") != args.seed:
        return None
    try:
        manage(bench_env(db_url, var_dir), "migrate", "--noinput", "-v0")  # the code moved on
    except SetupError as exc:
        log(f"cannot reuse {args.db_name} ({str(exc).strip().splitlines()[-1]}); reloading")
        return None
    return meta


def rollup_code() -> str:
    """A digest of the code that decides what the rollup tables hold: a reused database whose
    rollups were summed by other code gets them summed again (`child_resum`)."""
    digest = hashlib.sha256()
    for path in ROLLUP_CODE:
        digest.update((ROOT / path).read_bytes())
    return digest.hexdigest()[:16]


def prepare(admin_url: str, args: argparse.Namespace, argv: list[str], var_dir: str) -> dict:
    """Reuse the loaded and built database when it matches; else load, add, build."""
    _admin, db_url = pg_urls(args.pg, args.db_name)
    meta = _reusable(admin_url, args, var_dir)
    code = rollup_code()
    if meta is not None and "rollup_full_build_s" in meta:
        log(f"reusing {args.db_name}: loaded at {meta['t0']}, built")
        meta.pop("rollup_resum_s", None)
        if meta.get("rollup_code") != code:
            log("its rollups were summed by other code: summing them again from its facts")
            meta.update(run_child("resum", argv, args.db_name, var_dir), rollup_code=code)
            meta_write(db_url, META_TABLE, meta)
        return {**meta, "reused": True}
    if meta is None:
        load_args = argparse.Namespace(db_name=args.db_name, petitions=args.n, seed=args.seed)
        meta = database_load(admin_url, bench_env(db_url, var_dir), load_args)
        log("adding ratings, repeats, fast-channel flags and 督办 orders")
        started = time.monotonic()
        meta["extras"] = extras_add(db_url, datetime.fromisoformat(meta["t0"]), args.seed)
        meta["extras_s"] = round(time.monotonic() - started, 1)
        log(f"extras: {meta['extras']} ({meta['extras_s']} s)")
        meta_write(db_url, META_TABLE, meta)
    meta.update(run_child("build", argv, args.db_name, var_dir), rollup_code=code)
    meta_write(db_url, META_TABLE, meta)
    return {**meta, "reused": False}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.child:
        return child(args)
    admin_url, _ = pg_urls(args.pg, args.db_name)
    var_dir = temp_var_dir()
    run_db = args.db_name + "_run"
    try:
        with terminate_as_exit():
            meta = prepare(admin_url, args, argv, var_dir)
            if args.build_only:
                print(json.dumps(meta), flush=True)
                return 0
            started = time.monotonic()
            database_recreate(admin_url, run_db, template=args.db_name)
            log(f"measuring on a copy, {run_db} ({time.monotonic() - started:.0f} s to copy)")
            measured = run_child("measure", argv, run_db, var_dir)
    except (SetupError, psycopg.Error, OSError, ValueError) as exc:
        log(f"setup failed: {exc}")
        return 2
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        database_drop(admin_url, run_db)
        if args.drop:
            database_drop(admin_url, args.db_name)
    out = summary(args, meta, measured)
    print(json.dumps(out), flush=True)
    missed = out["dashboard_cold_ms"] > BUDGET_MS or out["errors"] > 0
    log(
        f"budget (dashboard ≤ {BUDGET_MS:.0f} ms, every figure from the rollups): "
        + ("MISSED" if missed else "met")
    )
    return 1 if (args.strict and missed) else 0


def summary(args: argparse.Namespace, meta: dict[str, Any], m: dict[str, Any]) -> dict[str, Any]:
    f = m["figures"]
    base = f["baseline"]
    return {
        "petitions": meta["petitions"],
        "dashboard_ms": f["warm"]["p50_ms"],
        "dashboard_p95_ms": f["warm"]["p95_ms"],
        "dashboard_cold_ms": f["cold"]["p50_ms"],
        "dashboard_cold_p95_ms": f["cold"]["p95_ms"],
        "dashboard_first_ms": m["first_ms"],
        **m["views"],
        "rollup_refresh_s": m["refresh_s"],
        "rollup_full_build_s": meta["rollup_full_build_s"],
        "baseline_p50_ms": base["p50_ms"],
        "baseline_p95_ms": base["p95_ms"],
        "ratio_cold_p50": round(f["cold"]["p50_ms"] / base["p50_ms"], 1) if base["p50_ms"] else 0,
        "refresh_events": args.events,
        "refreshed_facts": m["refreshed"],
        "dashboard_sql": m["statements"],
        "requests": args.requests,
        "errors": m["errors"],
        "rollup_rows": meta["rollup_rows"],
        "facts": meta["facts"],
        "events": meta.get("events"),
        "extras": meta.get("extras"),
        "hot_issues": meta.get("hot_issues"),
        "load_s": meta.get("load_s"),
        "rollup_resum_s": meta.get("rollup_resum_s"),
        "reused": meta["reused"],
        "cpus": os.cpu_count(),
    }


if __name__ == "__main__":
    sys.exit(main())
