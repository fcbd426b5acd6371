"""Profile one intake request in-process: SQL per request, CPU per request, cProfile hot spots.

    .venv/bin/python bench/intake/profile_request.py [--requests 300] [--top 30] [--out x.prof]

Recreates and seeds its own PostgreSQL database (default `xinfang_bench_profile`) exactly as
run.py does, then calls Django's WSGI handler directly (the same middleware, signals and
connection handling as under gunicorn, without HTTP) for `--requests` petitions. The summary
goes to stdout, the profile to stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import run  # bench/intake/run.py, same directory


def wsgi_post(path: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
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


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--top", type=int, default=30)
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

    def call(n: int) -> tuple[str, bytes]:
        out: dict[str, str] = {}

        def start_response(status: str, _headers: Iterable[Any], _exc: Any = None) -> None:
            out["status"] = status

        env = wsgi_post(
            "/api/v1/petitions", bodies[n % len(bodies)], {"Idempotency-Key": f"profile-{n}"}
        )
        body = b"".join(handler(env, start_response))  # type: ignore[arg-type]
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
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for n in range(args.requests):  # plain timing, no instrumentation
        status, _ = call(n)
        statuses[status] += 1
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0

    with CaptureQueriesContext(connection) as ctx:
        health_checks = 0
        for n in range(args.requests, 2 * args.requests):
            call(n)
    queries, checks = len(ctx.captured_queries), health_checks

    profiler = cProfile.Profile()
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
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
