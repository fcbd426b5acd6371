"""What every benchmark shares: progress log, the bench database, gunicorn, CPU sampling.

A benchmark is a script under bench/<name>/ that prints one JSON line on stdout and its
progress on stderr; it creates its own PostgreSQL database, runs the production server on a
free port of 127.0.0.1 and measures a baseline in the same run (bench/README.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
DEFAULT_PG = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class SetupError(Exception):
    """The benchmark could not be set up (database, seed, server): nothing was measured."""


def log(message: str) -> None:
    # Named after the benchmark's directory: bench/intake/run.py logs as "bench-intake".
    name = Path(sys.argv[0]).resolve().parent.name or "bench"
    print(f"[bench-{name} {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    """The `q` quantile (nearest rank) of latencies given in seconds, in milliseconds."""
    if not seconds:
        return 0.0
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


# --- database -----------------------------------------------------------------------------


def pg_urls(server_url: str, db_name: str) -> tuple[str, str]:
    """(admin URL on the `postgres` database, URL of the bench database)."""
    base = server_url.rstrip("/")
    return base + "/postgres", base + "/" + db_name


def database_exists(admin_url: str, name: str) -> bool:
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def database_recreate(admin_url: str, name: str, *, template: str | None = None) -> None:
    """Drop `name` if it exists and create it empty, or as a file copy of `template`."""
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        # FILE_COPY: a copy of the files after a checkpoint, not the whole database through WAL.
        create = sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
            sql.Identifier(name), sql.Identifier(template)
        )
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(create)
    except psycopg.Error as exc:
        raise SetupError(f"cannot (re)create database {name!r} via {admin_url}: {exc}") from exc


def meta_read(db_url: str, table: str) -> dict[str, Any] | None:
    """A loaded database's own record of what was loaded, or None when it was not (fully)
    loaded: the loaders write it last, so its presence means the load finished."""
    try:
        with psycopg.connect(db_url, connect_timeout=5) as conn:
            query = sql.SQL("SELECT summary FROM {}").format(sql.Identifier(table))
            row = conn.execute(query).fetchone()
    except psycopg.Error:
        return None
    return dict(row[0]) if row else None


def meta_write(db_url: str, table: str, summary: dict[str, Any]) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        name = sql.Identifier(table)
        conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (summary jsonb NOT NULL)").format(name))
        conn.execute(sql.SQL("DELETE FROM {}").format(name))
        conn.execute(
            sql.SQL("INSERT INTO {} (summary) VALUES (%s)").format(name), [json.dumps(summary)]
        )


def database_drop(admin_url: str, name: str) -> None:
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    except psycopg.Error as exc:
        log(f"warning: could not drop database {name!r}: {exc}")


def manage(env: dict[str, str], *args: str) -> None:
    cmd = [sys.executable, str(ROOT / "manage.py"), *args]
    log("$ manage.py " + " ".join(args))
    result = subprocess.run(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SetupError(
            f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-4000:]}"
        )


def database_seed(env: dict[str, str]) -> None:
    """Schema, Hunan's divisions (Changsha's townships), the demo units, rules and accounts."""
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "regions_load", "--province", "43", "--townships", "4301")
    manage(env, "seed_demo", "--petitions", "0")
    manage(env, "calendar_load")  # holidays, so deadlines are computed as in production


def bench_env(db_url: str, var_dir: str) -> dict[str, str]:
    """The environment of manage.py and gunicorn: production settings on the bench database;
    keys and media under `var_dir`, never in the developer's var/."""
    os.makedirs(os.path.join(var_dir, "static"), exist_ok=True)  # WhiteNoise warns without it
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "XINFANG_VAR_DIR": var_dir,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def temp_var_dir() -> str:
    return tempfile.mkdtemp(prefix="xinfang-bench-")


# --- server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base_url: str
    db_url: str

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        log("stopping gunicorn")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


def server_start(
    env: dict[str, str], *, workers: int, worker_class: str = "sync", threads: int = 1
) -> Server:
    """gunicorn with `config.wsgi` on a free port of 127.0.0.1, in its own process group."""
    port = free_port()
    cmd = [
        str(VENV_BIN / "gunicorn"),
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--backlog",
        "2048",
        "--keep-alive",
        "5",
        "--graceful-timeout",
        "10",
        "--log-level",
        "warning",
        "--error-logfile",
        "-",
    ]
    log(
        f"starting gunicorn on 127.0.0.1:{port}: {workers} × {worker_class}"
        + (f" × {threads} threads" if worker_class == "gthread" else "")
    )
    # Own process group, so stopping it also stops the workers; its logs go to our stderr.
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=sys.stderr, stderr=sys.stderr, start_new_session=True
    )
    return Server(proc=proc, base_url=f"http://127.0.0.1:{port}", db_url=env["DATABASE_URL"])


async def server_wait(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if server.proc.poll() is not None:
                raise SetupError(f"gunicorn exited with code {server.proc.returncode}")
            try:
                async with session.get(server.base_url + "/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise SetupError(f"gunicorn did not answer /healthz within {timeout:.0f} s")


# --- machine load -------------------------------------------------------------------------


def cpu_ticks() -> tuple[int, int, int]:
    """(busy, total, steal) jiffies of the whole machine, from /proc/stat (zeros elsewhere).

    Steal is time the hypervisor gave our virtual CPUs to someone else.
    """
    try:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except OSError:
        return 0, 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    steal = fields[7] if len(fields) > 7 else 0
    return sum(fields) - idle, sum(fields), steal


def background_cpu(seconds: float = 2.0) -> float:
    """Machine busy fraction with nothing of ours running: other load skews the figures."""
    busy0, total0, _ = cpu_ticks()
    time.sleep(seconds)
    busy1, total1, _ = cpu_ticks()
    return (busy1 - busy0) / (total1 - total0) if total1 > total0 else 0.0


def wait_quiet(seconds: float) -> float:
    """Sample the background load, waiting up to `seconds` for it to drop below 20 %."""
    background = background_cpu()
    waited = 0.0
    while background > 0.2 and waited < seconds:
        log(f"machine {background:.0%} busy with other work; waiting for it to settle")
        time.sleep(8)
        waited += 10
        background = background_cpu()
    log(f"machine busy before the server starts: {background:.0%} (other load)")
    return background


# --- signals ------------------------------------------------------------------------------


def _interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def terminate_as_exit() -> Iterator[None]:
    """SIGTERM/SIGHUP unwind like Ctrl-C, so the finally blocks stop the server."""
    previous = {s: signal.signal(s, _interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


async def interruptible(coro: Awaitable[Any]) -> Any:
    """Run `coro`; SIGINT/SIGTERM/SIGHUP cancel it cleanly instead of raising mid-callback."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(coro)
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    for s in signals:
        loop.add_signal_handler(s, task.cancel)
    try:
        return await task
    finally:
        for s in signals:
            loop.remove_signal_handler(s)  # resets to the default: put ours back
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGHUP, _interrupt)
