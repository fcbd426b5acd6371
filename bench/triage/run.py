"""Per-petition triage in process, with 1,000,000 text signatures stored (DESIGN.md §9).

    .venv/bin/python bench/triage/run.py                        # make bench-triage
    .venv/bin/python bench/triage/run.py --signatures 100000 --petitions 500

Builds the database of bench/triage_repeat/run.py (seeded regions and units, `--signatures`
cases with synthetic signatures; its options pass through: --keep, --queries, --pg, …), then,
in this process, times the triage of one petition as `xinfang.triage.services.case_triage`
does it without the writes: classify + locate + fast_detect + the near-duplicate look-up
(`similar_cases`) among the stored signatures. Petitions are the raw messages of the shared
`dev_raw.csv` when present (read at run time, never copied), else synthetic texts. The
baseline, interleaved, is a primary-key read of one signature row through the ORM. Then the
repeat look-up alone is measured by bench/triage_repeat/run.py's `measure`.
Prints one JSON line on stdout; progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402  (needs ROOT on sys.path)
    SetupError,
    database_drop,
    log,
    percentile_ms,
    pg_urls,
    temp_var_dir,
)
from bench.triage_repeat import run as repeat_bench  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "teddycup2020c" / "dev_raw.csv"
BUDGET_P50_MS, BUDGET_P99_MS, BUDGET_LOOKUP_P99_MS = 5.0, 20.0, 20.0


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, argparse.Namespace]:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--petitions", type=int, default=2000, help="measured triages")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    own, rest = p.parse_known_args(argv)
    if not any(a.startswith("--db-name") for a in rest):
        rest += ["--db-name", "xinfang_bench_triage"]
    return own, repeat_bench.parse_args(rest)


def petition_texts(path: Path, count: int, rng: random.Random) -> tuple[list[str], str]:
    if path.is_file():
        from xinfang.triage.offline import DETAIL, TITLE, csv_read
        from xinfang.triage.textnorm import petition_text

        rows = csv_read(path, required=(TITLE, DETAIL))
        return [petition_text(r[TITLE], r[DETAIL]) for r in rows], path.name
    return [repeat_bench.text_fresh(rng) for _ in range(min(count, 500))], "synthetic"


def triage_measure(texts: list[str], count: int, rng: random.Random) -> dict[str, float]:
    from xinfang.triage.classifier import classify
    from xinfang.triage.fastchannel import fast_detect
    from xinfang.triage.gazetteer import locate
    from xinfang.triage.models import TextSignature
    from xinfang.triage.selectors import similar_cases

    ids = list(TextSignature.objects.values_list("case_id", flat=True)[:1000])
    for text in texts[:50]:  # jieba, the model and the gazetteer load on first use
        classify(text), locate(text), fast_detect(text), similar_cases(text=text)
    lat: list[float] = []
    base: list[float] = []
    start = time.perf_counter()
    for i in range(count):
        text = texts[i % len(texts)]
        t0 = time.perf_counter()
        TextSignature.objects.filter(case_id=rng.choice(ids)).values_list("scheme").first()
        t1 = time.perf_counter()
        classify(text)
        locate(text, within="43")
        fast_detect(text)
        similar_cases(text=text, limit=5)
        lat.append(time.perf_counter() - t1)
        base.append(t1 - t0)
    wall = time.perf_counter() - start - sum(base)
    return {
        "triage_p50_ms": round(percentile_ms(lat, 0.50), 2),
        "triage_p99_ms": round(percentile_ms(lat, 0.99), 2),
        "msgs_per_s": round(count / wall, 1),
        "baseline_p50_ms": round(percentile_ms(base, 0.50), 2),
        "baseline_p99_ms": round(percentile_ms(base, 0.99), 2),
    }


def main(argv: list[str] | None = None) -> int:
    own, args = parse_args(argv)
    admin_url, db_url = pg_urls(args.pg, args.db_name)
    var_dir = temp_var_dir()
    rng = random.Random(args.seed + 2)
    try:
        meta = repeat_bench.prepare(args, admin_url, db_url, var_dir)
        texts, source = petition_texts(own.data, own.petitions, rng)
        log(f"timing {own.petitions} triages of {source} texts")
        triage = triage_measure(texts, own.petitions, rng)
        samples = [(int(c), str(t)) for c, t in meta["samples"]]
        log(f"timing {args.queries} repeat look-ups")
        repeat = repeat_bench.measure(args, samples)
    except (SetupError, psycopg.Error, OSError) as exc:
        log(f"setup failed: {exc}")
        return 2
    finally:
        if not args.keep:
            database_drop(admin_url, args.db_name)
        shutil.rmtree(var_dir, ignore_errors=True)
    out = {
        **triage,
        "stored": args.signatures,
        "repeat_lookup_p50_ms": repeat["lookup_p50_ms"],
        "repeat_lookup_p99_ms": repeat["lookup_p99_ms"],
        "repeat_baseline_p99_ms": repeat["baseline_p99_ms"],
        "repeat_edited_found": repeat["edited_found"],
        "petitions": own.petitions,
        "texts": source,
        "cpus": os.cpu_count(),
    }
    print(json.dumps(out, ensure_ascii=False), flush=True)
    met = (
        triage["triage_p50_ms"] <= BUDGET_P50_MS
        and triage["triage_p99_ms"] <= BUDGET_P99_MS
        and repeat["lookup_p99_ms"] <= BUDGET_LOOKUP_P99_MS
    )
    log(f"budgets (p50 ≤ 5, p99 ≤ 20, look-up p99 ≤ 20 ms): {'met' if met else 'MISSED'}")
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
