"""Workbench benchmark: a unit's queue page over HTTP among a million petitions, and one sweep.

    .venv/bin/python bench/workbench/run.py [--petitions 1000000] [--keep] [--requests 300] …

Loads `--petitions` petitions into its own PostgreSQL database with bench/workbench/load.py
(the measured unit, 430102-ZJ, holds about 0.3 % of them in its 待办理 queue), starts the
production server, signs in as the unit's handler and requests its queue page — by due date,
newest first, page 2, and the JSON API — interleaved with the baseline `GET /healthz`. Then
it stops the server and times one `sweep_run()` in-process over the clocks left due since the
last sweep. One JSON line on stdout, progress on stderr; bench/README.md explains the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402  (needs ROOT on sys.path)
    DEFAULT_PG,
    Server,
    SetupError,
    bench_env,
    database_drop,
    database_exists,
    database_recreate,
    database_seed,
    interruptible,
    log,
    manage,
    meta_read,
    percentile_ms,
    pg_urls,
    server_start,
    server_wait,
    temp_var_dir,
    terminate_as_exit,
    wait_quiet,
)

BUDGET_P99_MS = 50.0  # DESIGN.md §9: a queue page
BASELINE = "/healthz"
QUEUE = "/staff/queue/handle/"
# What is measured: the queue page as a handler opens it, sorted newest first, its second
# page, and the same queue from the JSON API.
VARIANTS = {
    "due": QUEUE,
    "received_desc": QUEUE + "?sort=-received",
    "page2": QUEUE + "?page=2",
    "api": "/api/v1/staff/queues/handle",
}
HANDLER = "handler"  # the demo seed's handler at 430102-ZJ (xinfang/demo/units.py)
META_TABLE = "bench_workbench_meta"  # written by load.py


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--petitions", type=int, default=1_000_000, help="petitions (1,000,000)")
    p.add_argument(
        "--keep",
        action="store_true",
        help="keep the loaded database and reuse it when it matches (measures on a copy)",
    )
    p.add_argument("--requests", type=int, default=300, help="measured requests per URL (300)")
    # Each of the 4 workers warms its own caches (templates, translations, reference data).
    p.add_argument("--warmup", type=int, default=100, help="unmeasured requests per URL (100)")
    p.add_argument("--concurrency", type=int, default=1, help="clients at once (1)")
    p.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (4)")
    p.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server URL (BENCH_PG_URL)")
    p.add_argument("--db-name", default="xinfang_bench_workbench", help="database to load")
    p.add_argument("--seed", type=int, default=2026, help="random seed of the load (2026)")
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="wait up to this long for other load to drop below 20%% CPU before measuring (0)",
    )
    p.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the queue's SQL")
    p.add_argument("--strict", action="store_true", help="exit 1 when the budget is missed")
    args = p.parse_args(argv)
    if min(args.requests, args.concurrency, args.workers) <= 0 or args.warmup < 0:
        p.error("--requests, --concurrency and --workers must be positive")
    return args


# --- database -----------------------------------------------------------------------------


def database_load(admin_url: str, env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    log(f"recreating database {args.db_name}")
    database_recreate(admin_url, args.db_name)
    started = time.monotonic()
    database_seed(env)
    seed_s = time.monotonic() - started
    log(f"loading {args.petitions:,} petitions (takes minutes)")
    cmd = [
        sys.executable,
        str(Path(__file__).with_name("load.py")),
        "--petitions",
        str(args.petitions),
        "--seed",
        str(args.seed),
    ]
    result = subprocess.run(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=sys.stderr, text=True, check=False
    )
    if result.returncode != 0:
        raise SetupError(f"load.py failed ({result.returncode})")
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    summary["seed_s"] = round(seed_s, 1)
    return summary


def database_size_mb(db_url: str) -> int:
    with psycopg.connect(db_url, connect_timeout=5) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return round((row[0] if row else 0) / 2**20)


# --- HTTP ---------------------------------------------------------------------------------


@dataclass
class Timings:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    first_error: str = ""

    def add(self, name: str, seconds: float, ok: bool, detail: str) -> None:
        self.latencies.setdefault(name, []).append(seconds)
        if not ok:
            self.errors[name] = self.errors.get(name, 0) + 1
            self.first_error = self.first_error or f"{name}: {detail}"

    def figures(self, name: str) -> dict[str, float]:
        seconds = self.latencies.get(name, [])
        return {
            "p50_ms": round(percentile_ms(seconds, 0.5), 1),
            "p99_ms": round(percentile_ms(seconds, 0.99), 1),
            "max_ms": round(percentile_ms(seconds, 1.0), 1),
        }


async def sign_in(session: aiohttp.ClientSession, password: str) -> None:
    """The password form at /staff/auth/login/, as a browser submits it (a handler needs
    no second factor)."""
    async with session.get("/staff/auth/login/") as resp:
        page = await resp.text()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if resp.status != 200 or match is None:
        raise SetupError(f"sign-in page answered {resp.status} without a CSRF token")
    form = {
        "csrfmiddlewaretoken": match.group(1),
        "username": HANDLER,
        "password": password,
        "next": "/staff/",
    }
    async with session.post("/staff/auth/login/", data=form, allow_redirects=False) as resp:
        if resp.status != 302:
            raise SetupError(f"sign-in as {HANDLER!r} answered {resp.status}, not a redirect")
    async with session.get(QUEUE) as resp:
        if resp.status != 200:
            raise SetupError(f"{QUEUE} answered {resp.status} after signing in")


async def fetch(
    session: aiohttp.ClientSession, timings: Timings | None, name: str, url: str
) -> str:
    started = time.perf_counter()
    try:
        async with session.get(url, allow_redirects=False) as resp:
            body = await resp.text()
            ok, detail = resp.status == 200, f"HTTP {resp.status} {body[:200]!r}"
    except (aiohttp.ClientError, TimeoutError) as exc:
        body, ok, detail = "", False, repr(exc)
    if timings is not None:
        timings.add(name, time.perf_counter() - started, ok, detail)
    return body


async def measure(server: Server, args: argparse.Namespace, password: str) -> Timings:
    """Every client requests each URL in turn, so the baseline and the queue pages see the
    same machine (a noisy neighbour slows all of them alike)."""
    await server_wait(server)
    urls = {"baseline": BASELINE, **VARIANTS}
    timings = Timings()
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(server.base_url, cookie_jar=jar, timeout=timeout) as session:
        await sign_in(session, password)

        async def client(rounds: int, record: bool) -> None:
            for _ in range(rounds):
                for name, url in urls.items():
                    await fetch(session, timings if record else None, name, url)

        log(f"warm-up: {args.warmup} requests per URL")
        await asyncio.gather(
            *(client(-(-args.warmup // args.concurrency), False) for _ in range(args.concurrency))
        )
        log(f"measuring: {args.requests} requests per URL, {args.concurrency} client(s)")
        per_client = -(-args.requests // args.concurrency)
        await asyncio.gather(*(client(per_client, True) for _ in range(args.concurrency)))
    for name in urls:
        seconds = timings.latencies.get(name, [])
        slowest = sorted(range(len(seconds)), key=seconds.__getitem__)[-3:]
        log(
            f"{name}: "
            + ", ".join(f"{k} {v:.1f}" for k, v in timings.figures(name).items())
            + " (slowest: "
            + ", ".join(f"#{i} {seconds[i] * 1000:.0f} ms" for i in slowest)
            + ")"
        )
    return timings


async def queue_count(server: Server, password: str) -> int:
    """The case count the queue page shows (共 N 件)."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(server.base_url, cookie_jar=jar) as session:
        await sign_in(session, password)
        body = await fetch(session, None, "count", QUEUE)
    match = re.search(r"共 ([\d,]+) 件", body)
    return int(match.group(1).replace(",", "")) if match else -1


# --- in-process: SQL per request, EXPLAIN, the sweep ----------------------------------------


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def queue_sql(explain: bool) -> int:
    """Statements of one queue request through Django's test client (no HTTP); with
    `explain`, EXPLAIN ANALYZE of each of them on stderr."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from xinfang.orgs.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=HANDLER))
    client.get(QUEUE)  # warm caches as a long-running worker has them
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(QUEUE)
    if response.status_code != 200:
        raise SetupError(f"in-process {QUEUE} answered {response.status_code}")
    for i, q in enumerate(ctx.captured_queries, 1):
        log(f"SQL {i} ({q['time']} s): {q['sql'][:300]}")
        if explain and q["sql"].lstrip().upper().startswith("SELECT"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                plan = "\n    ".join(row[0] for row in cursor.fetchall())
            log(f"plan of SQL {i}:\n    {plan}")
    return len(ctx.captured_queries)


def sweep_time(t0: datetime) -> dict[str, Any]:
    """One `sweep_run(now=t0)`, timed, with the work it found and the statements it ran."""
    from django.db import connection

    from xinfang.cases.models import CaseClock
    from xinfang.handling.sweep import sweep_run

    warn_backlog = CaseClock.objects.filter(
        stopped_at__isnull=True, warned_at__isnull=True, warn_at__lte=t0, due_at__gt=t0
    ).count()
    due_backlog = CaseClock.objects.filter(
        stopped_at__isnull=True, expired_at__isnull=True, due_at__lte=t0
    ).count()
    log(f"sweep: {warn_backlog:,} clocks to warn and {due_backlog:,} due since the last sweep")
    statements = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        result = sweep_run(now=t0)
        elapsed = time.perf_counter() - started
    log(f"sweep_run: {elapsed * 1000:,.0f} ms, {result}, {statements:,} statements")
    return {
        "ms": round(elapsed * 1000, 1),
        **vars(result),
        "statements": statements,
        "warn_backlog": warn_backlog,
        "due_backlog": due_backlog,
    }


# --- main ---------------------------------------------------------------------------------


def prepare(admin_url: str, args: argparse.Namespace, var_dir: str) -> tuple[str, dict[str, Any]]:
    """Load (or with --keep reuse) the database; returns the one to measure and the summary."""
    _admin, db_url = pg_urls(args.pg, args.db_name)
    kept = args.keep and database_exists(admin_url, args.db_name)
    meta = meta_read(db_url, META_TABLE) if kept else None
    if meta and meta.get("petitions") == args.petitions and meta.get("seed") == args.seed:
        log(f"reusing {args.db_name}: loaded at {meta['t0']}")
        manage(bench_env(db_url, var_dir), "migrate", "--noinput", "-v0")  # the code moved on
        meta["reused"] = True
    else:
        meta = database_load(admin_url, bench_env(db_url, var_dir), args)
        meta["reused"] = False
    if not args.keep:
        return args.db_name, meta
    # The sweep changes the database: measure on a copy, so every run starts the same.
    run_db = args.db_name + "_run"
    started = time.monotonic()
    database_recreate(admin_url, run_db, template=args.db_name)
    meta["clone_s"] = round(time.monotonic() - started, 1)
    log(f"measuring on a copy, {run_db} ({meta['clone_s']} s to copy)")
    return run_db, meta


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    admin_url, _ = pg_urls(args.pg, args.db_name)
    var_dir = temp_var_dir()
    server: Server | None = None
    measure_db: str | None = None
    try:
        with terminate_as_exit():
            measure_db, meta = prepare(admin_url, args, var_dir)
            _admin, db_url = pg_urls(args.pg, measure_db)
            env = bench_env(db_url, var_dir)
            django_setup(env)
            from xinfang.demo.units import DEMO_PASSWORD

            statements = queue_sql(args.explain)
            background = wait_quiet(args.wait_quiet)
            server = server_start(env, workers=args.workers)
            timings = asyncio.run(interruptible(measure(server, args, DEMO_PASSWORD)))
            shown = asyncio.run(queue_count(server, DEMO_PASSWORD))
            server.stop()
            sweep = sweep_time(datetime.fromisoformat(meta["t0"]))
            db_mb = database_size_mb(db_url)
    except (SetupError, psycopg.Error, OSError, aiohttp.ClientError) as exc:
        log(f"setup failed: {exc}")
        return 2
    except (KeyboardInterrupt, asyncio.CancelledError):
        log("interrupted")
        return 130
    finally:
        if server is not None:
            server.stop()
        _drop_after(admin_url, args, measure_db)
        shutil.rmtree(var_dir, ignore_errors=True)

    base, due = timings.figures("baseline"), timings.figures("due")
    queue_p99 = due["p99_ms"]
    out = {
        "petitions": meta["petitions"],
        "queue_p50_ms": due["p50_ms"],
        "queue_p99_ms": queue_p99,
        "sweep_ms": sweep["ms"],
        "baseline_p50_ms": base["p50_ms"],
        "baseline_p99_ms": base["p99_ms"],
        "ratio_p50": round(due["p50_ms"] / base["p50_ms"], 2) if base["p50_ms"] else 0.0,
        "ratio_p99": round(queue_p99 / base["p99_ms"], 2) if base["p99_ms"] else 0.0,
        "variants": {name: timings.figures(name) for name in VARIANTS},
        "queue_cases": shown,
        "queue_sql": statements,
        "errors": sum(timings.errors.values()),
        "requests": args.requests,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "sweep": sweep,
        "rows": {k: meta[k] for k in ("petitions", "events", "clocks", "access")},
        "open": sum(v for k, v in meta["states"].items() if k not in _TERMINAL),
        "unit": meta["unit"],
        "load_s": meta["load_s"],
        "vacuum_s": meta.get("vacuum_s"),
        "seed_s": meta.get("seed_s"),
        "reused": meta["reused"],
        "clone_s": meta.get("clone_s"),
        "db_mb": db_mb,
        "background_cpu": round(background, 2),
        "cpus": os.cpu_count(),
    }
    if timings.first_error:
        log(f"first error: {timings.first_error}")
    print(json.dumps(out), flush=True)
    missed = queue_p99 > BUDGET_P99_MS or out["errors"] > 0
    log(f"budget (queue p99 ≤ {BUDGET_P99_MS:.0f} ms): " + ("MISSED" if missed else "met"))
    return 1 if (args.strict and missed) else 0


_TERMINAL = frozenset({"closed", "notified_redirect", "diverted", "not_accepted_repeat"})


def _drop_after(admin_url: str, args: argparse.Namespace, measured: str | None) -> None:
    """Drop the copy measured on; the loaded database too unless --keep."""
    if measured and measured != args.db_name:
        database_drop(admin_url, measured)
    if not args.keep:
        database_drop(admin_url, args.db_name)


if __name__ == "__main__":
    sys.exit(main())
