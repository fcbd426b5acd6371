"""Intake benchmark: gunicorn on PostgreSQL under concurrent `POST /api/v1/petitions`.

    .venv/bin/python bench/intake/run.py [--seconds 20] [--concurrency 32] [--workers 4] …

Creates a fresh database, migrates and seeds it, starts the production server on a free
port, drives `GET /healthz` (the baseline) and then `POST /api/v1/petitions` for the same
time with the same number of clients, checks that every acknowledged petition is in
`cases_case`, and prints one JSON line on stdout. Progress goes to stderr. See
bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import shutil
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402  (needs ROOT on sys.path)
    CLK_TCK,
    DEFAULT_PG,
    Server,
    SetupError,
    bench_env,
    cpu_ticks,
    database_drop,
    database_recreate,
    database_seed,
    interruptible,
    log,
    percentile_ms,
    pg_urls,
    server_start,
    server_wait,
    temp_var_dir,
    terminate_as_exit,
    wait_quiet,
)
from xinfang.demo.generator import petition  # noqa: E402  (stdlib + validators only)

AREAS_CSV = ROOT / "xinfang" / "data" / "divisions" / "areas.csv"
# Hunan counties/districts the load is spread over (each has its own county petition bureau
# in the demo seed, hence its own item-number counter row).
REGION_CODES = (
    "430102",
    "430103",
    "430104",
    "430105",
    "430111",
    "430121",
    "430181",
    "430202",
    "430302",
)
PETITION_TYPES = frozenset({"appeal", "suggestion", "consultation"})
BUDGET = {"rps": 500.0, "p99_ms": 250.0, "lost": 0}


# --- request bodies -------------------------------------------------------------------------


def region_names() -> dict[str, str]:
    """Name of each benchmark region, read from the bundled divisions file (and checked)."""
    names: dict[str, str] = {}
    with AREAS_CSV.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["code"] in REGION_CODES:
                names[row["code"]] = row["name"]
    missing = sorted(set(REGION_CODES) - set(names))
    if missing:
        raise SetupError(f"region codes missing from {AREAS_CSV}: {', '.join(missing)}")
    return names


def petition_bodies(count: int, seed: int) -> list[bytes]:
    """`count` distinct valid JSON bodies: appeal/suggestion/consultation, named petitioner."""
    rng = random.Random(seed)
    names = region_names()
    now = datetime.now(UTC)
    bodies: list[bytes] = []
    while len(bodies) < count:
        code = rng.choice(REGION_CODES)
        data = petition(rng, region_code=code, place=names[code], now=now).data
        if data["petition_type"] not in PETITION_TYPES or data["anonymous"]:
            continue
        bodies.append(json.dumps(data, ensure_ascii=False).encode())
    return bodies


# --- database -----------------------------------------------------------------------------


@dataclass
class DbCheck:
    rows: int
    found: int
    jobs: int


def database_check(db_url: str, item_numbers: list[str]) -> DbCheck:
    with psycopg.connect(db_url, connect_timeout=5) as conn:
        (rows,) = conn.execute("SELECT count(*) FROM cases_case").fetchone() or (0,)
        (found,) = conn.execute(
            "SELECT count(*) FROM cases_case WHERE item_number = ANY(%s)", [item_numbers]
        ).fetchone() or (0,)
        (jobs,) = conn.execute(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE task_path LIKE %s",
            ["%case_suggest_route"],
        ).fetchone() or (0,)
    return DbCheck(rows=rows, found=found, jobs=jobs)


# --- load ---------------------------------------------------------------------------------


ProcTable = dict[int, tuple[str, str, int, int]]  # pid → (group, comm, user, system jiffies)


def proc_table(server_pgid: int) -> ProcTable:
    """CPU used so far by every live process, grouped: server, postgres, client, other."""
    table: ProcTable = {}
    me = os.getpid()
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                raw = fh.read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        rest = raw[raw.rindex(")") + 2 :].split()
        pgid, utime, stime = int(rest[2]), int(rest[11]), int(rest[12])
        if pgid == server_pgid:
            group = "server"
        elif comm.startswith("postgres"):
            group = "postgres"
        elif int(entry) == me:
            group = "client"
        else:
            group = "other"
        table[int(entry)] = (group, comm, utime, stime)
    return table


def cpu_share(
    before: ProcTable, after: ProcTable, seconds: float
) -> tuple[dict[str, dict[str, float]], list[str]]:
    """Cores used per group during the interval (user and system), and the top "other"s.

    Processes that exited during the interval are missed (their time is gone from /proc);
    good enough to see where the CPU goes.
    """
    sums: dict[str, list[int]] = {g: [0, 0] for g in ("server", "postgres", "client", "other")}
    others: list[tuple[int, str]] = []
    for pid, (group, comm, u1, s1) in after.items():
        _g, _c, u0, s0 = before.get(pid, (group, comm, 0, 0))
        du, ds = max(0, u1 - u0), max(0, s1 - s0)
        sums[group][0] += du
        sums[group][1] += ds
        if group == "other" and du + ds:
            others.append((du + ds, f"{comm}[{pid}]"))
    out = {
        g: {"user": round(u / CLK_TCK / seconds, 2), "sys": round(s / CLK_TCK / seconds, 2)}
        for g, (u, s) in sums.items()
    }
    top = [f"{name} {t / CLK_TCK / seconds:.2f}" for t, name in sorted(others, reverse=True)[:3]]
    return out, top


class DbSampler:
    """Samples pg_stat_activity of the bench database every `interval` s in a thread.

    Says what the server's connections are doing while the load runs: executing, idle
    (waiting for Python), or waiting on a lock (e.g. the item-number counter row) or on the
    WAL flush at commit.
    """

    def __init__(self, db_url: str, interval: float = 0.1) -> None:
        self.db_url, self.interval = db_url, interval
        self.samples = 0
        self.states: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        query = (
            "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        try:
            with psycopg.connect(self.db_url, autocommit=True, connect_timeout=5) as conn:
                while not self._stop.wait(self.interval):
                    rows = conn.execute(query).fetchall()
                    self.samples += 1
                    for state, wtype, wevent in rows:
                        if state == "active" and wtype:
                            self.states[f"wait {wtype}:{wevent}"] += 1
                        else:
                            self.states[str(state)] += 1
        except psycopg.Error as exc:
            log(f"warning: pg_stat_activity sampling stopped: {exc}")

    def __enter__(self) -> DbSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def summary(self) -> dict[str, float]:
        """Average number of server connections in each state (idle, active, wait …)."""
        n = max(1, self.samples)
        return {k: round(v / n, 2) for k, v in self.states.most_common()}


@dataclass
class PhaseResult:
    name: str
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    errors: int = 0
    error_kinds: Counter[str] = field(default_factory=Counter)
    first_error: str = ""
    acked: list[str] = field(default_factory=list)  # item numbers of 2xx petitions
    machine_cpu: float = 0.0  # whole machine busy fraction
    steal: float = 0.0  # fraction of the machine's CPU time taken by the hypervisor
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)  # cores per process group
    db: dict[str, float] = field(default_factory=dict)  # connections per state, on average
    top_other: list[str] = field(default_factory=list)  # busiest processes not ours

    @property
    def rps(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def pct_ms(self, q: float) -> float:
        return percentile_ms(self.latencies, q)

    def summary(self) -> str:
        return (
            f"{self.name}: {self.ok + self.errors} requests in {self.elapsed:.1f} s, "
            f"{self.rps:.0f} ok/s, p50 {self.pct_ms(0.5):.1f} ms, "
            f"p99 {self.pct_ms(0.99):.1f} ms, errors {self.errors}"
            + (f" {dict(self.error_kinds)}" if self.errors else "")
            + f"; machine busy {self.machine_cpu:.0%} (steal {self.steal:.0%}), cores (user+sys): "
            + ", ".join(f"{k} {v['user']:.2f}+{v['sys']:.2f}" for k, v in self.cpu.items())
            + f"; db connections: {self.db}"
            + (f"; busiest other processes: {', '.join(self.top_other)}" if self.top_other else "")
        )


Send = Callable[[aiohttp.ClientSession, PhaseResult], Awaitable[None]]


async def run_phase(
    name: str, server: Server, send: Send, *, seconds: float, concurrency: int
) -> PhaseResult:
    """`concurrency` closed-loop clients, each sending back-to-back requests for `seconds`."""
    result = PhaseResult(name)
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(
        server.base_url, connector=connector, timeout=timeout, auto_decompress=False
    ) as session:

        async def client() -> None:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                try:
                    await send(session, result)
                except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                    result.errors += 1
                    result.error_kinds[type(exc).__name__] += 1
                    result.first_error = result.first_error or repr(exc)
                result.latencies.append(time.perf_counter() - t0)

        busy0, total0, steal0 = cpu_ticks()
        procs0 = proc_table(server.proc.pid)
        start = time.perf_counter()
        deadline = start + seconds
        with DbSampler(server.db_url) as sampler:
            await asyncio.gather(*(client() for _ in range(concurrency)))
        result.db = sampler.summary()
        result.elapsed = time.perf_counter() - start
        result.cpu, result.top_other = cpu_share(
            procs0, proc_table(server.proc.pid), result.elapsed
        )
        busy1, total1, steal1 = cpu_ticks()
        if total1 > total0:
            result.machine_cpu = (busy1 - busy0) / (total1 - total0)
            result.steal = (steal1 - steal0) / (total1 - total0)
    return result


async def send_healthz(session: aiohttp.ClientSession, result: PhaseResult) -> None:
    async with session.get("/healthz") as resp:
        await resp.read()
        _count(result, resp.status, "")


def petition_sender(bodies: list[bytes], run_id: str) -> Send:
    counter = iter(range(10**12))

    async def send(session: aiohttp.ClientSession, result: PhaseResult) -> None:
        n = next(counter)
        headers = {"Content-Type": "application/json", "Idempotency-Key": f"bench-{run_id}-{n}"}
        async with session.post(
            "/api/v1/petitions", data=bodies[n % len(bodies)], headers=headers
        ) as resp:
            raw = await resp.read()
            if 200 <= resp.status < 300:
                try:
                    result.acked.append(json.loads(raw)["item_number"])
                except (ValueError, KeyError):
                    _count(result, 0, f"2xx without item_number: {raw[:200]!r}")
                    return
            _count(result, resp.status, raw[:300].decode(errors="replace"))

    return send


def _count(result: PhaseResult, status: int, body: str) -> None:
    if 200 <= status < 300:
        result.ok += 1
        return
    result.errors += 1
    result.error_kinds[f"HTTP {status}" if status else "bad body"] += 1
    result.first_error = result.first_error or f"{status} {body}"


async def preflight(base_url: str, run_id: str, names: dict[str, str]) -> list[str]:
    """One petition per region, so a seed or validation problem fails fast and clearly."""
    acked: list[str] = []
    rng = random.Random(0)
    async with aiohttp.ClientSession(base_url) as session:
        for code in REGION_CODES:
            body = {
                "title": f"基准测试预检{code}",
                "content": "这是一条用于基准测试预检的信访内容。",
                "petition_type": "appeal",
                "region_code": code,
                "anonymous": False,
                "consent_publish": False,
                "petitioner": {"name": "预检", "phone": f"138{rng.randrange(10**8):08d}"},
            }
            headers = {"Idempotency-Key": f"bench-{run_id}-pre-{code}"}
            async with session.post("/api/v1/petitions", json=body, headers=headers) as resp:
                text = await resp.text()
                if resp.status != 201:
                    raise SetupError(
                        f"preflight POST for region {code} ({names[code]}) "
                        f"answered {resp.status}: {text[:500]}"
                    )
                acked.append(json.loads(text)["item_number"])
    return acked


# --- main ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--seconds", type=float, default=20, help="length of each phase (20)")
    p.add_argument("--concurrency", type=int, default=32, help="concurrent clients (32)")
    p.add_argument(
        "--warmup",
        type=float,
        default=3,
        help="seconds of unmeasured load on each endpoint first (3)",
    )
    # Default: 4 sync workers. Intake is CPU-bound on 2 cores; two processes per core hide the
    # database round trips (2 workers idle half the time waiting for PostgreSQL), more do not
    # help. gthread answers /healthz faster (keep-alive) but not intake, and its tail is worse:
    # a thread inside a transaction waits for the GIL while holding the item-counter row lock.
    p.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (4)")
    p.add_argument(
        "--worker-class",
        default="sync",
        choices=["sync", "gthread"],
        help="gunicorn worker class (sync)",
    )
    p.add_argument("--threads", type=int, default=4, help="threads per gthread worker (4)")
    p.add_argument(
        "--pg",
        default=DEFAULT_PG,
        help="PostgreSQL server URL without database (BENCH_PG_URL)",
    )
    p.add_argument("--db-name", default="xinfang_bench", help="database to recreate")
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="wait up to this long for other load to drop below 20%% CPU before measuring (0)",
    )
    p.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when the budget (500/s, p99 250 ms, 0 lost, 0 errors) is missed",
    )
    args = p.parse_args(argv)
    if args.worker_class == "sync":
        args.threads = 1
    if args.seconds <= 0 or args.concurrency <= 0 or args.workers <= 0 or args.threads <= 0:
        p.error("--seconds, --concurrency, --workers and --threads must be positive")
    return args


async def measure(
    server: Server, args: argparse.Namespace, run_id: str, bodies: list[bytes]
) -> tuple[PhaseResult, PhaseResult, list[str]]:
    await server_wait(server)
    acked = await preflight(server.base_url, run_id, region_names())
    send_petition = petition_sender(bodies, run_id)
    if args.warmup > 0:
        log(f"warm-up: {args.warmup:g} s per endpoint")
        await run_phase(
            "warmup-healthz",
            server,
            send_healthz,
            seconds=args.warmup,
            concurrency=args.concurrency,
        )
        warm = await run_phase(
            "warmup-petitions",
            server,
            send_petition,
            seconds=args.warmup,
            concurrency=args.concurrency,
        )
        acked += warm.acked
        if warm.ok == 0:
            raise SetupError(f"no petition accepted during warm-up: {warm.first_error}")
    log(f"baseline: GET /healthz, {args.concurrency} clients, {args.seconds:g} s")
    base = await run_phase(
        "healthz", server, send_healthz, seconds=args.seconds, concurrency=args.concurrency
    )
    log(base.summary())
    log(f"intake: POST /api/v1/petitions, {args.concurrency} clients, {args.seconds:g} s")
    intake = await run_phase(
        "petitions",
        server,
        send_petition,
        seconds=args.seconds,
        concurrency=args.concurrency,
    )
    log(intake.summary())
    if intake.first_error:
        log(f"first intake error: {intake.first_error}")
    return base, intake, acked + intake.acked


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run_id = uuid.uuid4().hex[:8]
    admin_url, db_url = pg_urls(args.pg, args.db_name)
    var_dir = temp_var_dir()
    env = bench_env(db_url, var_dir)
    server: Server | None = None
    created_db = False
    try:
        with terminate_as_exit():
            bodies = petition_bodies(4096, seed=int(run_id, 16))
            log(f"recreating database {args.db_name}; keys and media under {var_dir}")
            database_recreate(admin_url, args.db_name)
            created_db = True
            database_seed(env)
            background = wait_quiet(args.wait_quiet)
            server = server_start(
                env, workers=args.workers, worker_class=args.worker_class, threads=args.threads
            )
            base, intake, acked = asyncio.run(interruptible(measure(server, args, run_id, bodies)))
            server.stop()  # every acknowledged request has been answered: count now
            check = database_check(db_url, sorted(set(acked)))
    except (SetupError, psycopg.Error, OSError, aiohttp.ClientError) as exc:
        log(f"setup failed: {exc}")
        return 2
    except (KeyboardInterrupt, asyncio.CancelledError):
        log("interrupted")
        return 130
    finally:
        if server is not None:
            server.stop()
        if created_db and not args.keep_db:
            database_drop(admin_url, args.db_name)
        shutil.rmtree(var_dir, ignore_errors=True)

    lost = len(set(acked)) - check.found
    p50, p99 = intake.pct_ms(0.5), intake.pct_ms(0.99)
    out = {
        "rps": round(intake.rps, 1),
        "p50_ms": round(p50, 1),
        "p99_ms": round(p99, 1),
        "errors": intake.errors,
        "lost": lost,
        "baseline_rps": round(base.rps, 1),
        "ratio": round(intake.rps / base.rps, 3) if base.rps else 0.0,
        "baseline_p50_ms": round(base.pct_ms(0.5), 1),
        "baseline_p99_ms": round(base.pct_ms(0.99), 1),
        "baseline_errors": base.errors,
        "requests": intake.ok + intake.errors,
        "acked": len(acked),
        "rows": check.rows,
        "jobs": check.jobs,
        "workers": args.workers,
        "worker_class": args.worker_class,
        "threads": args.threads,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "cpu": intake.cpu,
        "baseline_cpu": base.cpu,
        "db": intake.db,
        "machine_cpu": round(intake.machine_cpu, 2),
        "steal": round(intake.steal, 2),
        "background_cpu": round(background, 2),
        "cpus": os.cpu_count(),
    }
    if lost:
        log(f"LOST: {lost} acknowledged petitions are not in cases_case")
    if check.jobs != check.rows:
        log(f"warning: {check.rows} cases but {check.jobs} routing jobs")
    print(json.dumps(out), flush=True)
    missed = (
        intake.rps < BUDGET["rps"]
        or p99 > BUDGET["p99_ms"]
        or lost > BUDGET["lost"]
        or intake.errors > 0
    )
    log("budget (≥500/s, p99 ≤250 ms, 0 lost): " + ("MISSED" if missed else "met"))
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
