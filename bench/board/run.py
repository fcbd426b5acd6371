"""The public board's list and search with 1,000,000 published petitions on PostgreSQL and
100,000 on SQLite (issue 5; budget p99 ≤ 100 ms on PostgreSQL).

    .venv/bin/python bench/board/run.py                     # make bench-board
    .venv/bin/python bench/board/run.py --rows 100000 --sqlite-rows 20000 --queries 100

Each database is measured in a child process of its own (Django has one default database
per process): a scratch PostgreSQL database (`--db-name`) and a scratch SQLite file, both
migrated (so the search indexes are the ones of migration board/0002_search) with Hunan's
divisions, then filled with published rows in bulk — COPY on PostgreSQL with the indexes
rebuilt afterwards, as a restore would; inserts through the FTS5 triggers on SQLite.

Texts are assembled from a word pool: the real petitions of the shared Teddy Cup
`messages.csv` segmented with the project's `tokenize` (read at run time, never copied),
each word drawn with its frequency there, so common and rare words are as common and rare as
in real petitions. Rows carry no case (the board never reads `cases.Case`; the foreign key
checks are off during the bulk load only).

Measured through the real selectors (`publication_list`, `publication_search`), in process:
list — first page, a city's first page, the deepest page; search — a common word, a rare
word, two words, a common word within a city. Baseline, interleaved: a primary-key fetch of
one row through the ORM. Prints one JSON line on stdout; progress on stderr.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402  (needs ROOT on sys.path)
    DEFAULT_PG,
    SetupError,
    bench_env,
    database_drop,
    database_recreate,
    log,
    manage,
    percentile_ms,
    pg_urls,
    temp_var_dir,
)

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "teddycup2020c" / "messages.csv"
BUDGET_PG_P99_MS = 100.0
BATCH = 20_000
SPAN_DAYS = 3 * 365
PG_INDEXES = {
    "board_pub_search": "USING gin (to_tsvector('simple', search_text))",
    "board_pub_list": "(status, published_at DESC)",
    "board_pub_region": "(status, region_code, published_at DESC)",
}
COLUMNS = (
    "id",
    "case_id",
    "status",
    "region_code",
    "is_replied",
    "title",
    "content",
    "reply",
    "received_at",
    "replied_at",
    "published_at",
    "support_count",
    "version",
    "search_text",
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000, help="published rows on PostgreSQL")
    p.add_argument("--sqlite-rows", type=int, default=100_000, help="published rows on SQLite")
    p.add_argument("--queries", type=int, default=300, help="timed queries per scenario")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server URL (no database)")
    p.add_argument("--db-name", default="xinfang_bench_board")
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--keep", action="store_true", help="keep the scratch databases")
    p.add_argument("--strict", action="store_true", help="exit 1 when the budget is missed")
    p.add_argument("--only", choices=["pg", "sqlite"], help="measure one database")
    p.add_argument("--child", choices=["pg", "sqlite"], help=argparse.SUPPRESS)
    p.add_argument("--var-dir", help=argparse.SUPPRESS)
    return p.parse_args(argv)


# --- texts -----------------------------------------------------------------------------------


class WordPool:
    """Words of real petitions with their frequencies; texts are drawn from it."""

    def __init__(self, path: Path, rng: random.Random) -> None:
        from xinfang.triage.textnorm import tokenize

        counts: Counter[str] = Counter()
        if path.is_file():
            with path.open(encoding="utf-8-sig", newline="") as f:
                for row in csv.DictReader(f):
                    counts.update(tokenize(f"{row.get('留言主题', '')} {row.get('留言详情', '')}"))
        if len(counts) < 1000:
            raise SetupError(f"{path}: too few words for a pool ({len(counts)})")
        # Single characters and numbers say little about a petition; keep words.
        # Tabs, newlines and backslashes would need escaping in COPY; no word needs them.
        ranked = [
            (w, n)
            for w, n in counts.most_common()
            if len(w) >= 2 and not w.isdigit() and not any(c in w for c in "\t\n\r\\")
        ]
        self.words = [w for w, _ in ranked]
        self.cum: list[float] = []
        total = 0.0
        for _, n in ranked:
            total += n
            self.cum.append(total)
        self.rng = rng

    def draw(self, k: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum, k=k)

    def common(self, rank: int = 0) -> str:
        return self.words[rank]

    def rare(self, rank: int = 20_000) -> str:
        return self.words[min(rank, len(self.words) - 1)]


def rows_generate(
    pool: WordPool, count: int, counties: list[str], rng: random.Random
) -> Iterator[tuple[Any, ...]]:
    """Rows in batches: the words of a whole batch drawn at once with numpy."""
    import numpy as np

    gen = np.random.default_rng(rng.randrange(2**32))
    words = np.array(pool.words, dtype=object)
    cum = np.array(pool.cum) / pool.cum[-1]
    t_end = datetime.now(UTC)  # the board is read "now": its newest rows are recent
    for first in range(1, count + 1, BATCH):
        n = min(BATCH, count + 1 - first)
        sizes = np.stack(
            [
                gen.integers(3, 8, n),  # title
                gen.integers(15, 36, n),  # content
                gen.integers(8, 19, n),  # reply (when replied)
            ],
            axis=1,
        )
        replied = gen.random(n) < 0.8
        sizes[:, 2] *= replied
        drawn = words[np.searchsorted(cum, gen.random(int(sizes.sum())))]
        ends = np.cumsum(sizes.ravel())
        age = gen.random(n) * SPAN_DAYS
        to_reply = gen.uniform(2, 60, n)
        to_publish = gen.uniform(0, 5, n)
        support = np.where(gen.random(n) < 0.2, gen.integers(0, 51, n), 0)
        place = gen.integers(0, len(counties), n)
        for k in range(n):
            base = ends[3 * k - 1] if k else 0
            title = list(drawn[base : ends[3 * k]])
            content = list(drawn[ends[3 * k] : ends[3 * k + 1]])
            reply = list(drawn[ends[3 * k + 1] : ends[3 * k + 2]])
            # Counted back from publication, so no two rows share a time (as on a real board).
            published = t_end - timedelta(days=float(age[k]))
            replied_at = published - timedelta(days=float(to_publish[k])) if replied[k] else None
            waited = float(to_publish[k]) + (float(to_reply[k]) if replied[k] else 0.0)
            received = published - timedelta(days=waited)
            i = first + k
            yield (
                i,
                i,
                "published",
                counties[place[k]],
                bool(replied[k]),
                "".join(title),
                "".join(content) + "。",
                "".join(reply),
                received,
                replied_at,
                published,
                int(support[k]),
                1,
                " ".join(title + content + reply),
            )


# --- loading -----------------------------------------------------------------------------------


def pg_load(db_url: str, rows: Iterator[tuple[Any, ...]], count: int) -> None:
    import psycopg

    t0 = time.monotonic()
    with psycopg.connect(db_url, autocommit=True) as conn:
        for name in PG_INDEXES:
            conn.execute(f"DROP INDEX IF EXISTS {name}")
        # The rows have no case: skip the foreign-key triggers for this session's COPY only.
        conn.execute("SET session_replication_role = replica")
        with conn.cursor() as cur:
            copy_sql = f"COPY board_publication ({', '.join(COLUMNS)}) FROM STDIN"
            with cur.copy(copy_sql) as copy:
                for n, row in enumerate(rows, 1):
                    copy.write_row(row)
                    if n % 100_000 == 0:
                        log(f"  {n:,} / {count:,} rows copied")
        conn.execute("SET session_replication_role = origin")
        log(f"copied in {time.monotonic() - t0:.0f} s; building indexes")
        conn.execute("SET maintenance_work_mem = '512MB'")
        for name, definition in PG_INDEXES.items():
            t1 = time.monotonic()
            conn.execute(f"CREATE INDEX {name} ON board_publication {definition}")
            log(f"  {name} in {time.monotonic() - t1:.0f} s")
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('board_publication', 'id'), %s)", [count]
        )
        conn.execute("VACUUM ANALYZE board_publication")


def sqlite_load(path: str, rows: Iterator[tuple[Any, ...]], count: int) -> None:
    t0 = time.monotonic()
    conn = sqlite3.connect(path)  # foreign keys are off unless asked for
    placeholders = ", ".join("?" for _ in COLUMNS)
    names = ", ".join(COLUMNS)
    insert = f"INSERT INTO board_publication ({names}) VALUES ({placeholders})"  # noqa: S608
    batch: list[tuple[Any, ...]] = []
    for n, row in enumerate(rows, 1):
        # Django's SQLite columns hold naive UTC text.
        batch.append(
            tuple(
                v.replace(tzinfo=None).isoformat(" ") if isinstance(v, datetime) else v for v in row
            )
        )
        if len(batch) == BATCH or n == count:
            with conn:  # the FTS5 triggers index each row, as on approval
                conn.executemany(insert, batch)
            batch.clear()
        if n % 50_000 == 0:
            log(f"  {n:,} / {count:,} rows inserted")
    conn.execute("ANALYZE")
    conn.close()
    log(f"inserted in {time.monotonic() - t0:.0f} s")


# --- measuring -----------------------------------------------------------------------------------


def timed(
    fn: Callable[[], Any], base: Callable[[], Any], n: int, warmup: int
) -> tuple[list[float], list[float]]:
    lat: list[float] = []
    bases: list[float] = []
    for i in range(warmup + n):
        t0 = time.perf_counter()
        base()
        t1 = time.perf_counter()
        fn()
        t2 = time.perf_counter()
        if i >= warmup:
            bases.append(t1 - t0)
            lat.append(t2 - t1)
    return lat, bases


def measure(
    args: argparse.Namespace, pool: WordPool, count: int, rng: random.Random
) -> dict[str, Any]:
    from xinfang.board.models import Publication
    from xinfang.board.search import publication_search
    from xinfang.board.selectors import MAX_PAGE, BoardFilters, publication_list
    from xinfang.orgs.models import Region, RegionLevel

    cities = list(Region.objects.filter(level=RegionLevel.CITY).values_list("code", flat=True))
    any_filter = BoardFilters()

    def base() -> None:
        Publication.objects.filter(pk=rng.randint(1, count)).values_list("id").first()

    def city() -> BoardFilters:
        return BoardFilters(region=rng.choice(cities))

    common = [pool.common(r) for r in range(0, 10)]
    rare = [pool.rare(r) for r in range(5_000, 20_000, 50)]
    scenarios: dict[str, Callable[[], Any]] = {
        "list_first": lambda: publication_list(filters=any_filter),
        "list_city": lambda: publication_list(filters=city()),
        "list_deep": lambda: publication_list(filters=any_filter, page=MAX_PAGE),
        "search_common": lambda: publication_search(query=rng.choice(common), filters=any_filter),
        "search_rare": lambda: publication_search(query=rng.choice(rare), filters=any_filter),
        "search_two": lambda: publication_search(
            query=rng.choice(common) + rng.choice(rare), filters=any_filter
        ),
        "search_city": lambda: publication_search(query=rng.choice(common), filters=city()),
    }
    out: dict[str, Any] = {}
    pooled: dict[str, list[float]] = {"list": [], "search": []}
    bases: list[float] = []
    for name, fn in scenarios.items():
        lat, b = timed(fn, base, args.queries, args.warmup)
        bases += b
        pooled[name.split("_")[0]] += lat
        out[f"{name}_p50_ms"] = round(percentile_ms(lat, 0.5), 2)
        out[f"{name}_p99_ms"] = round(percentile_ms(lat, 0.99), 2)
        log(f"  {name}: p50 {out[f'{name}_p50_ms']} ms, p99 {out[f'{name}_p99_ms']} ms")
    sample = publication_search(query=common[0], filters=any_filter)
    out.update(
        {
            "list_p50_ms": round(percentile_ms(pooled["list"], 0.5), 2),
            "list_p99_ms": round(percentile_ms(pooled["list"], 0.99), 2),
            "search_p50_ms": round(percentile_ms(pooled["search"], 0.5), 2),
            "search_p99_ms": round(percentile_ms(pooled["search"], 0.99), 2),
            "baseline_p50_ms": round(percentile_ms(bases, 0.5), 2),
            "baseline_p99_ms": round(percentile_ms(bases, 0.99), 2),
            "rows": count,
            "common_word_rows_on_page_1": len(sample.rows),
        }
    )
    return out


def child(args: argparse.Namespace) -> int:
    """Set up one database, load it, measure it; print its JSON line."""
    engine = args.child
    var_dir = args.var_dir or temp_var_dir()
    count = args.rows if engine == "pg" else args.sqlite_rows
    admin_url, db_url = pg_urls(args.pg, args.db_name)
    sqlite_path = os.path.join(var_dir, "board.sqlite3")
    if engine == "sqlite":
        db_url = f"sqlite:///{sqlite_path}"
    else:
        database_recreate(admin_url, args.db_name)
    env = bench_env(db_url, var_dir)
    t0 = time.monotonic()
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "regions_load", "--province", "43")
    os.environ.update(env)
    import django

    django.setup()
    from xinfang.orgs.models import Region, RegionLevel

    counties = list(Region.objects.filter(level=RegionLevel.COUNTY).values_list("code", flat=True))
    rng = random.Random(args.seed)
    log(f"[{engine}] building the word pool from {args.data.name}")
    pool = WordPool(args.data, rng)
    log(f"[{engine}] {len(pool.words):,} words; loading {count:,} rows")
    rows = rows_generate(pool, count, counties, rng)
    if engine == "pg":
        pg_load(db_url, rows, count)
    else:
        sqlite_load(sqlite_path, rows, count)
    load_s = round(time.monotonic() - t0, 1)
    log(f"[{engine}] ready in {load_s} s; timing {args.queries} queries per scenario")
    out = measure(args, pool, count, random.Random(args.seed + 1))
    out["load_s"] = load_s
    print(json.dumps(out, ensure_ascii=False), flush=True)
    return 0


def run_child(engine: str, argv: list[str], var_dir: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, *argv, "--child", engine, "--var-dir", var_dir]
    result = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        raise SetupError(f"the {engine} run failed ({result.returncode})")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.child:
        return child(args)
    admin_url, _ = pg_urls(args.pg, args.db_name)
    var_dir = temp_var_dir()
    t0 = time.monotonic()
    results: dict[str, dict[str, Any]] = {}
    try:
        for engine in ("pg", "sqlite"):
            if args.only in (None, engine):
                log(f"--- {engine} ---")
                results[engine] = run_child(engine, argv, var_dir)
    except (SetupError, OSError, ValueError) as exc:
        log(f"setup failed: {exc}")
        return 2
    finally:
        if not args.keep:
            database_drop(admin_url, args.db_name)
            shutil.rmtree(var_dir, ignore_errors=True)
        else:
            log(f"kept {args.db_name} and {var_dir}")
    out: dict[str, Any] = {}
    for engine, figures in results.items():
        for key in ("list_p99_ms", "search_p99_ms", "list_p50_ms", "search_p50_ms"):
            out[f"{engine}_{key}"] = figures[key]
    for engine, figures in results.items():
        out[f"{engine}_baseline_p99_ms"] = figures["baseline_p99_ms"]
        out[f"{engine}_rows"] = figures["rows"]
        out[engine] = figures
    out["cpus"] = os.cpu_count()
    out["wall_s"] = round(time.monotonic() - t0, 1)
    print(json.dumps(out, ensure_ascii=False), flush=True)
    met = "pg" not in results or (
        results["pg"]["list_p99_ms"] <= BUDGET_PG_P99_MS
        and results["pg"]["search_p99_ms"] <= BUDGET_PG_P99_MS
    )
    log(f"budget (PostgreSQL list and search p99 ≤ 100 ms): {'met' if met else 'MISSED'}")
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
