"""Near-duplicate look-up among a million stored petition signatures (DESIGN.md §9).

    .venv/bin/python bench/triage_repeat/run.py                       # 1,000,000 signatures
    .venv/bin/python bench/triage_repeat/run.py --signatures 100000 --keep --explain

Creates the database `xinfang_bench_triage_repeat`, seeds it (bench/common.py), submits one
petition through the intake service and clones its row in SQL so that every signature has its
case (the FK). Texts are synthetic: words drawn from jieba's dictionary by frequency (so common
shingles are as common as in Chinese prose), 40–120 words each, 5 % of them light edits of an
earlier one. Signatures and band keys are computed by xinfang.triage.minhash in worker
processes and COPYed (the band table's primary key is rebuilt after the load, then VACUUM
ANALYZE). Then, in-process, `similar_cases(text=…)` is timed — signature + the one SELECT — for
queries that are light edits of stored texts (must be found) and fresh texts (should find
nothing), interleaved with the baseline: a primary-key read of one signature row through the
ORM. Prints one JSON line on stdout; progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import sys
import time
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
    database_seed,
    log,
    percentile_ms,
    pg_urls,
    temp_var_dir,
)

CHUNK = 10_000
EDIT_SHARE = 0.05
BUDGET_P99_MS = 20.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--signatures", type=int, default=1_000_000)
    p.add_argument("--queries", type=int, default=2000, help="measured look-ups (half edited)")
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--pg", default=DEFAULT_PG)
    p.add_argument("--db-name", default="xinfang_bench_triage_repeat")
    p.add_argument("--keep", action="store_true", help="keep the database; reuse it next time")
    p.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE one look-up")
    p.add_argument("--seed", type=int, default=20260401)
    p.add_argument("--strict", action="store_true", help="exit 1 when the budget is missed")
    return p.parse_args(argv)


# --- synthetic texts -----------------------------------------------------------------------

_WORDS: tuple[list[str], list[int]] | None = None


def _vocabulary() -> tuple[list[str], list[int]]:
    global _WORDS
    if _WORDS is None:
        import jieba

        words, cum, total = [], [], 0
        path = Path(jieba.__file__).parent / "dict.txt"
        for line in path.read_text(encoding="utf-8").splitlines():
            word, freq, *_ = line.split(" ")
            total += int(freq)
            words.append(word)
            cum.append(total)
        _WORDS = (words, cum)
    return _WORDS


def text_fresh(rng: random.Random) -> str:
    words, cum = _vocabulary()
    body = "".join(rng.choices(words, cum_weights=cum, k=rng.randint(40, 120)))
    return body + "。"


def text_edit(rng: random.Random, text: str) -> str:
    """A light edit: a few words replaced or inserted, punctuation added."""
    words, cum = _vocabulary()
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(chars))
        chars[at : at + rng.randint(0, 2)] = list(rng.choices(words, cum_weights=cum)[0] + "，")
    return "".join(chars)


def chunk_rows(job: tuple[int, int, int, int]) -> tuple[bytes, bytes, list[tuple[int, str]]]:
    """COPY text of the signature and band rows of case ids [first, first + count), and a
    few (case_id, text) samples to query; deterministic for the seed."""
    from xinfang.triage import minhash

    seed, index, first, count = job
    rng = random.Random(seed * 100_003 + index)
    sigs: list[str] = []
    bands: list[str] = []
    samples: list[tuple[int, str]] = []
    recent: list[str] = []
    for case_id in range(first, first + count):
        if recent and rng.random() < EDIT_SHARE:
            text = text_edit(rng, rng.choice(recent))
        else:
            text = text_fresh(rng)
        recent = [*recent[-50:], text]
        sig = minhash.signature(text)
        if sig is None:
            continue
        sigs.append(f"{case_id}\t{minhash.SCHEME}\t\\\\x{minhash.to_bytes(sig).hex()}\n")
        bands.extend(f"{b}\t{h}\t{case_id}\n" for b, h in minhash.band_keys(sig))
        if rng.random() < 0.01:
            samples.append((case_id, text))
    return "".join(sigs).encode(), "".join(bands).encode(), samples


# --- database ------------------------------------------------------------------------------


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def cases_clone(db_url: str, count: int) -> tuple[int, int]:
    """One petition through the intake service, its row copied `count - 1` times in SQL with
    unique item numbers and query codes. Returns (first id, last id)."""
    from xinfang.cases.models import Channel
    from xinfang.intake.services import petition_submit

    data = {
        "title": "基准测试信访件",
        "content": "基准测试用的信访内容。",
        "petition_type": "appeal",
        "region_code": "430102",
        "anonymous": True,
        "consent_publish": False,
    }
    first = petition_submit(channel=Channel.API, data=data).case.pk
    with psycopg.connect(db_url) as conn:
        cols = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'cases_case' AND column_name <> 'id' ORDER BY ordinal_position"
            )
        ]
        fresh = {
            "item_number": "'BENCH-' || g",
            "query_code": "'B' || lpad(g::text, 12, '0')",
        }
        select = ", ".join(fresh.get(c, f"c.{c}") for c in cols)
        conn.execute(
            f"INSERT INTO cases_case ({', '.join(cols)}) SELECT {select} "  # noqa: S608
            "FROM cases_case c, generate_series(1, %s) g WHERE c.id = %s",
            [count - 1, first],
        )
        last = conn.execute("SELECT max(id) FROM cases_case").fetchone()
    return first, int(last[0]) if last else first


def signatures_load(db_url: str, args: argparse.Namespace, first: int) -> list[tuple[int, str]]:
    jobs = [
        (args.seed, i, first + start, min(CHUNK, args.signatures - start))
        for i, start in enumerate(range(0, args.signatures, CHUNK))
    ]
    samples: list[tuple[int, str]] = []
    from django.db import connections

    connections.close_all()  # the workers are forked: they must not share Django's socket
    with psycopg.connect(db_url) as conn:
        # Foreign-key triggers off for the load (every case id exists: cases_clone made them);
        # the band key is rebuilt in one sort afterwards instead of row by row.
        conn.execute("SET session_replication_role = replica")
        conn.execute("ALTER TABLE triage_textband DROP CONSTRAINT triage_textband_pkey")
        with multiprocessing.get_context("fork").Pool(os.cpu_count() or 2) as pool:
            for done, (sigs, bands, sample) in enumerate(pool.imap(chunk_rows, jobs), 1):
                with conn.cursor().copy(
                    "COPY triage_textsignature (case_id, scheme, signature) FROM STDIN"
                ) as copy:
                    copy.write(sigs)
                with conn.cursor().copy(
                    "COPY triage_textband (band, band_hash, case_id) FROM STDIN"
                ) as copy:
                    copy.write(bands)
                samples.extend(sample)
                if done % 10 == 0 or done == len(jobs):
                    log(f"signed {min(done * CHUNK, args.signatures):,}")
        log("building the band index")
        conn.execute(
            "ALTER TABLE triage_textband ADD CONSTRAINT triage_textband_pkey "
            "PRIMARY KEY (band, band_hash, case_id)"
        )
        conn.commit()
        conn.autocommit = True
        log("VACUUM ANALYZE")
        conn.execute("VACUUM ANALYZE triage_textband")
        conn.execute("VACUUM ANALYZE triage_textsignature")
    return samples


def tables_mb(db_url: str) -> dict[str, int]:
    with psycopg.connect(db_url) as conn:
        return {
            t: round(
                int(conn.execute("SELECT pg_total_relation_size(%s)", [t]).fetchone()[0]) / 2**20  # type: ignore[index]
            )
            for t in ("triage_textband", "triage_textsignature")
        }


def prepare(args: argparse.Namespace, admin_url: str, db_url: str, var_dir: str) -> dict[str, Any]:
    meta_path = Path(var_dir).parent / f"{args.db_name}.samples.json"
    env = bench_env(db_url, var_dir)
    if args.keep and database_exists(admin_url, args.db_name) and meta_path.exists():
        log(f"reusing {args.db_name}")
        django_setup(env)
        return {**json.loads(meta_path.read_text(encoding="utf-8")), "reused": True}
    t0 = time.monotonic()
    database_recreate(admin_url, args.db_name)
    database_seed(env)
    django_setup(env)
    first, last = cases_clone(db_url, args.signatures)
    log(f"{last - first + 1:,} cases in {time.monotonic() - t0:.0f} s")
    t1 = time.monotonic()
    samples = signatures_load(db_url, args, first)
    meta = {"samples": samples, "load_s": round(time.monotonic() - t1, 1)}
    # Next to the temporary var dir, i.e. in the system temp dir: no text lands in the repo.
    meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return {**meta, "reused": False}


# --- measurement ---------------------------------------------------------------------------


def measure(args: argparse.Namespace, samples: list[tuple[int, str]]) -> dict[str, Any]:
    from xinfang.triage import minhash
    from xinfang.triage.models import TextSignature
    from xinfang.triage.selectors import similar_cases

    rng = random.Random(args.seed + 1)
    ids = [case_id for case_id, _ in samples]
    lat: dict[str, list[float]] = {"baseline": [], "edited": [], "fresh": [], "signature": []}
    found = fresh_hits = 0
    for i in range(args.warmup + args.queries):
        source, text = rng.choice(samples)
        query = text_edit(rng, text) if i % 2 == 0 else text_fresh(rng)
        t0 = time.perf_counter()
        TextSignature.objects.filter(case_id=rng.choice(ids)).values_list("scheme").first()
        t1 = time.perf_counter()
        result = similar_cases(text=query)
        t2 = time.perf_counter()
        minhash.signature(query)
        t3 = time.perf_counter()
        if i < args.warmup:
            continue
        lat["baseline"].append(t1 - t0)
        lat["edited" if i % 2 == 0 else "fresh"].append(t2 - t1)
        lat["signature"].append(t3 - t2)
        if i % 2 == 0:
            found += any(case_id == source for case_id, _ in result)
        else:
            fresh_hits += len(result)
    both = lat["edited"] + lat["fresh"]
    edited_n = len(lat["edited"])
    return {
        "lookup_p50_ms": round(percentile_ms(both, 0.50), 2),
        "lookup_p99_ms": round(percentile_ms(both, 0.99), 2),
        "baseline_p50_ms": round(percentile_ms(lat["baseline"], 0.50), 2),
        "baseline_p99_ms": round(percentile_ms(lat["baseline"], 0.99), 2),
        "variants": {
            k: {
                "p50_ms": round(percentile_ms(v, 0.50), 2),
                "p99_ms": round(percentile_ms(v, 0.99), 2),
            }
            for k, v in lat.items()
        },
        "edited_found": round(found / edited_n, 4) if edited_n else 0.0,
        "fresh_results": fresh_hits,
    }


def explain(samples: list[tuple[int, str]]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xinfang.triage.selectors import similar_cases

    with CaptureQueriesContext(connection) as captured:
        similar_cases(text=samples[0][1])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + captured[0]["sql"])
        log("plan of one look-up:\n" + "\n".join(r[0] for r in cursor.fetchall()))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    admin_url, db_url = pg_urls(args.pg, args.db_name)
    var_dir = temp_var_dir()
    try:
        meta = prepare(args, admin_url, db_url, var_dir)
        samples = [(int(c), str(t)) for c, t in meta["samples"]]
        if args.explain:
            explain(samples)
        log(f"measuring {args.queries} look-ups after {args.warmup} warm-up ones")
        figures = measure(args, samples)
        sizes = tables_mb(db_url)
    except (SetupError, psycopg.Error, OSError) as exc:
        log(f"setup failed: {exc}")
        return 2
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        if not args.keep:
            database_drop(admin_url, args.db_name)
        shutil.rmtree(var_dir, ignore_errors=True)
    base = figures["baseline_p99_ms"]
    out = {
        "signatures": args.signatures,
        **figures,
        "ratio_p99": round(figures["lookup_p99_ms"] / base, 2) if base else 0.0,
        "queries": args.queries,
        "tables_mb": sizes,
        "load_s": meta["load_s"],
        "reused": meta["reused"],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(out, ensure_ascii=False), flush=True)
    met = figures["lookup_p99_ms"] <= BUDGET_P99_MS
    log(f"budget p99 ≤ {BUDGET_P99_MS} ms: {'met' if met else 'MISSED'}")
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
