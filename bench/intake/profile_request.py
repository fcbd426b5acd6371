"""Profile one intake request in-process: SQL per request, CPU per request, cProfile hot spots.

    .venv/bin/python bench/intake/profile_request.py [--requests 300] [--top 30] [--out x.prof]

Recreates and seeds its own PostgreSQL database (default `xinfang_bench_profile`) exactly as
run.py does, then calls Django's WSGI handler directly (the same middleware, signals and
connection handling as under gunicorn, without HTTP) for `--requests` petitions. The summary
goes to stdout, the profile to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.intake import run  # needs the repository root on sys.path, just above

# label → (file suffix, function) whose cumulative time is reported per request
STAGES = {
    "whole request (WSGIHandler)": ("django/core/handlers/wsgi.py", "__call__"),
    "  view: PetitionCreateApi.post": ("xinfang/intake/api.py", "post"),
    "    petition_submit": ("xinfang/intake/services.py", "petition_submit"),
    "      request_digest": ("xinfang/intake/services.py", "request_digest"),
    "      validate_petition (DRF serializer)": (
        "xinfang/intake/validation.py",
        "validate_petition",
    ),
    "      bureau_for_region": ("xinfang/orgs/selectors.py", "bureau_for_region"),
    "      case_create": ("xinfang/cases/services.py", "case_create"),
    "        item_number_allocate": ("xinfang/cases/services.py", "item_number_allocate"),
    "        crypto.encrypt (field encryption)": ("xinfang/core/crypto.py", "encrypt"),
    "        crypto.blind_index": ("xinfang/core/crypto.py", "blind_index"),
    "      task enqueue": ("django_tasks/base.py", "enqueue"),
    "  DRF response render": ("rest_framework/response.py", "rendered_content"),
    "  psycopg execute (all SQL, client side)": ("psycopg/cursor.py", "execute"),
    "  transaction commit": ("django/db/backends/base/base.py", "commit"),
}


def wsgi_request(method: str, path: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def backend_pid(connection: Any) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a local process, e.g. a postgres backend."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / run.CLK_TCK


def stages(bodies: list[bytes], n: int) -> dict[str, tuple[float, float]]:
    """Each piece of the intake path timed on its own: (CPU ms, wall ms) per call."""
    from django.db import connection, transaction

    from xinfang.cases.services import case_create
    from xinfang.intake import services as intake
    from xinfang.intake.validation import validate_petition
    from xinfang.orgs.selectors import bureau_for_region
    from xinfang.triage.tasks import case_triage_task

    datas = [json.loads(b) for b in bodies]
    valids = [validate_petition(d) for d in datas[:50]]
    out: dict[str, tuple[float, float]] = {}

    def timed(label: str, fn: Callable[[int], object]) -> None:
        try:
            for i in range(10):
                fn(i)
        except Exception as exc:  # the code under test changes; report, don't stop
            run.log(f"stage {label!r} skipped: {exc!r}")
            return
        c0, w0 = time.process_time(), time.perf_counter()
        for i in range(n):
            fn(i)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        out[label] = (round(cpu / n * 1000, 3), round(wall / n * 1000, 3))

    def raw_select(_i: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    # The builder's name has changed before (_new_case → petition_build): look it up.
    build = vars(intake).get("petition_build") or vars(intake).get("_new_case")

    def new_case(i: int) -> Any:
        v = valids[i % len(valids)]
        key = f"stage-{i}-{time.time_ns()}"
        return build(v, channel="api", key=key, digest="", extra_files=[])  # type: ignore[misc]

    def create_only(i: int) -> None:
        with transaction.atomic():
            case_create(data=new_case(i))

    def create_enqueue(i: int) -> None:
        with transaction.atomic():
            case, _ = case_create(data=new_case(i))
            case_triage_task.enqueue(case_id=case.pk)

    def submit(i: int) -> None:
        intake.petition_submit(
            channel="api", data=datas[i % len(datas)], idempotency_key=f"st-{i}-{time.time_ns()}"
        )

    timed("SELECT 1 via Django cursor (one round trip)", raw_select)
    timed("connection.is_usable() (CONN_HEALTH_CHECKS)", lambda _i: connection.is_usable())
    timed("request_digest", lambda i: intake.request_digest(datas[i % len(datas)]))
    timed(
        "validate_petition (DRF, cached lookups)",
        lambda i: validate_petition(datas[i % len(datas)]),
    )
    timed("bureau_for_region", lambda i: bureau_for_region(region=valids[i % 50].region))
    timed("atomic + case_create", create_only)
    timed("atomic + case_create + routing-job enqueue", create_enqueue)
    timed("petition_submit (the whole service)", submit)
    return out


Call = Callable[[int, str, Any], tuple[str, bytes]]


def what_if(call: Call, n: int, rounds: int = 3) -> list[tuple[str, float, float, float]]:
    """The request as is and with one candidate optimisation patched in, each alone.

    In-process monkeypatches inside this script only (the application code is not changed):
    they show what each change would buy. Variants are interleaved over `rounds` rounds and
    the median is kept, so drifting background load hits them all alike.
    Returns (variant, CPU ms, wall ms, postgres backend CPU ms) per request.
    """
    from unittest import mock

    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test.utils import override_settings

    from xinfang.intake import services as intake

    with override_settings(
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.middleware.common.CommonMiddleware",
        ]
    ):
        lean_handler = WSGIHandler()

    def patches(name: str) -> list[Callable[[], Any]]:
        chosen: dict[str, list[Callable[[], Any]]] = {
            "CONN_HEALTH_CHECKS off": [
                lambda: mock.patch.object(connection, "health_check_enabled", False)
            ],
            "no routing-job insert (the enqueue's cost)": [
                lambda: mock.patch.object(intake, "case_triage_task")
            ],
        }
        if name == "all of the above":
            return [p for ps in chosen.values() for p in ps]
        return chosen.get(name, [])

    variants = [
        "as is",
        "CONN_HEALTH_CHECKS off",
        "no routing-job insert (the enqueue's cost)",
        "API-only middleware (Security, Common)",
        "all of the above",
    ]
    samples: dict[str, list[tuple[float, float, float]]] = {v: [] for v in variants}
    counter = iter(range(10**8, 10**9))
    batch = max(1, n // rounds)

    def measure(name: str) -> None:
        handler = lean_handler if "middleware" in name or name.startswith("all") else None
        for _ in range(5):
            call(next(counter), "/api/v1/petitions", handler)
        pid = backend_pid(connection)
        pg0 = proc_cpu(pid)
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(batch):
            status, body = call(next(counter), "/api/v1/petitions", handler)
            if not status.startswith("201"):
                raise RuntimeError(f"{name}: {status} {body[:200]!r}")
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        pg = proc_cpu(pid) - pg0 if backend_pid(connection) == pid else float("nan")
        samples[name].append((cpu / batch * 1000, wall / batch * 1000, pg / batch * 1000))

    for _ in range(rounds):
        for name in variants:
            try:
                with contextlib.ExitStack() as stack:
                    for patch in patches(name):
                        stack.enter_context(patch())
                    measure(name)
            except Exception as exc:  # the code under test changes; report, don't stop
                run.log(f"what-if {name!r} skipped: {exc!r}")
    rows = []
    for name, got in samples.items():
        if got:
            cpu, wall, pg = (statistics.median(x[k] for x in got) for k in range(3))
            rows.append((name, cpu, wall, pg))
    return rows


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--top", type=int, default=30)
    p.add_argument(
        "--server-side-binding",
        action="store_true",
        help="measure with DATABASES OPTIONS server_side_binding=True (not the app's setting)",
    )
    p.add_argument("--wall", action="store_true", help="profile wall time instead of CPU")
    p.add_argument("--out", help="also write the raw profile here (for snakeviz etc.)")
    p.add_argument(
        "--pg", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    )
    p.add_argument("--db-name", default="xinfang_bench_profile")
    args = p.parse_args()

    admin_url = args.pg.rstrip("/") + "/postgres"
    var_dir = tempfile.mkdtemp(prefix="xinfang-profile-")
    os.makedirs(os.path.join(var_dir, "static"), exist_ok=True)
    env = {
        "DATABASE_URL": args.pg.rstrip("/") + "/" + args.db_name,
        "XINFANG_VAR_DIR": var_dir,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    try:
        run.database_recreate(admin_url, args.db_name)
        run.database_seed({**os.environ, **env})
        return profile(args)
    except run.SetupError as exc:
        run.log(f"setup failed: {exc}")
        return 2
    finally:
        run.database_drop(admin_url, args.db_name)
        shutil.rmtree(var_dir, ignore_errors=True)


def profile(args: argparse.Namespace) -> int:
    import django
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    django.setup()
    if args.server_side_binding:  # try psycopg server-side binding (prepared statements)
        connection.settings_dict.setdefault("OPTIONS", {})["server_side_binding"] = True
        connection.close()
    # One backend for the whole run (no reconnect after CONN_MAX_AGE), so its CPU is readable.
    connection.settings_dict["CONN_MAX_AGE"] = None
    handler = WSGIHandler()
    bodies = run.petition_bodies(max(args.requests, 50), seed=1)

    # The health check (CONN_HEALTH_CHECKS) runs SELECT 1 on the raw psycopg connection,
    # bypassing Django's cursor wrapper and so CaptureQueriesContext: count it separately.
    health_checks = 0
    original_is_usable: Callable[[], bool] = connection.is_usable

    def counting_is_usable() -> bool:
        nonlocal health_checks
        health_checks += 1
        return original_is_usable()

    connection.is_usable = counting_is_usable  # type: ignore[method-assign]

    def call(n: int, path: str = "/api/v1/petitions", via: Any = None) -> tuple[str, bytes]:
        out: dict[str, str] = {}

        def start_response(status: str, _headers: Iterable[Any], _exc: Any = None) -> None:
            out["status"] = status

        if path == "/healthz":
            env = wsgi_request("GET", path, b"", {})
        else:
            headers = {"Idempotency-Key": f"profile-{n}"}
            env = wsgi_request("POST", path, bodies[n % len(bodies)], headers)
        body = b"".join((via or handler)(env, start_response))  # type: ignore[arg-type]
        return out["status"], body

    for n in range(20):  # warm caches (regions, petition types, bureau chain)
        status, body = call(10**6 + n)
        if not status.startswith("201"):
            run.log(f"warm-up request answered {status}: {body[:300]!r}")
            return 1

    with CaptureQueriesContext(connection) as ctx:
        health_checks = 0
        call(10**7)
    one_request = [q["sql"] for q in ctx.captured_queries]

    statuses: Counter[str] = Counter()
    pg_pid = backend_pid(connection)
    pg0 = proc_cpu(pg_pid)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for n in range(args.requests):  # plain timing, no instrumentation
        status, _ = call(n)
        statuses[status] += 1
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    same_backend = backend_pid(connection) == pg_pid
    pg_cpu = (proc_cpu(pg_pid) - pg0) if same_backend else float("nan")

    for n in range(20):
        call(n, "/healthz")
    hwall0, hcpu0 = time.perf_counter(), time.process_time()
    for n in range(args.requests):
        call(n, "/healthz")
    hwall, hcpu = time.perf_counter() - hwall0, time.process_time() - hcpu0

    with CaptureQueriesContext(connection) as ctx:
        health_checks = 0
        for n in range(args.requests, 2 * args.requests):
            call(n)
    queries, checks = len(ctx.captured_queries), health_checks

    stage_rows = stages(bodies, args.requests)
    whatif_rows = what_if(call, args.requests)

    # CPU time, not wall time: what limits throughput on a 2-core box is CPU.
    profiler = cProfile.Profile(time.perf_counter if args.wall else time.process_time)
    profiler.enable()
    for n in range(2 * args.requests, 3 * args.requests):
        call(n)
    profiler.disable()

    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    print(stream.getvalue(), file=sys.stderr)
    if args.out:
        profiler.dump_stats(args.out)

    print(f"{'wall' if args.wall else 'CPU'} ms per request by stage (under cProfile):")
    per = 1000 / args.requests
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    for label, (filename, func) in STAGES.items():
        hits = [v for k, v in raw.items() if k[0].endswith(filename) and k[2] == func]
        if hits:
            print(f"  {label:<44} {sum(h[3] for h in hits) * per:7.2f}")
    print("CPU / wall ms per call, each stage timed alone without a profiler:")
    for label, (cpu_ms, wall_ms) in stage_rows.items():
        print(f"  {label:<52} {cpu_ms:7.2f} {wall_ms:7.2f}")
    print("What if (each alone, in-process patches of this script only), ms per request:")
    print(f"  {'':<56} {'CPU':>7} {'wall':>7} {'pg CPU':>7}")
    for label, cpu_ms, wall_ms, pg_ms in whatif_rows:
        print(f"  {label:<56} {cpu_ms:7.2f} {wall_ms:7.2f} {pg_ms:7.2f}")
    print("SQL of one intake request (after warm-up):")
    for i, q in enumerate(one_request, 1):
        print(f"  {i:2d}. {q[:160]}")
    print(
        json.dumps(
            {
                "requests": args.requests,
                "statuses": dict(statuses),
                "queries_per_request": round(queries / args.requests, 2),
                "health_checks_per_request": round(checks / args.requests, 2),
                "wall_ms_per_request": round(wall / args.requests * 1000, 2),
                "cpu_ms_per_request": round(cpu / args.requests * 1000, 2),
                "postgres_cpu_ms_per_request": round(pg_cpu / args.requests * 1000, 2),
                "server_side_binding": args.server_side_binding,
                "healthz_wall_ms": round(hwall / args.requests * 1000, 2),
                "healthz_cpu_ms": round(hcpu / args.requests * 1000, 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
