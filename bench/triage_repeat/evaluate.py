"""Near-duplicate detection on real messages: `messages.csv` of the Teddy Cup 2020 C data.

    .venv/bin/python bench/triage_repeat/evaluate.py [--threshold 0.5] [--show 30]
        [--data ../shared/data/teddycup2020c/messages.csv]

Stores every message (title + text) as a case of a scratch PostgreSQL database
(`xinfang_bench_triage_eval`, dropped afterwards) through `text_signature_store_many`, then asks
`similar_cases_of_case` for each one. Prints one JSON line: the pairs found at the threshold
(split into same user / different users), their agreement with the exact Jaccard index of
the 3-gram sets (precision against exact J ≥ threshold), the recall of all pairs whose exact
J ≥ threshold (computed by brute force), and the look-up time. `--show N` prints N random
found pairs, side by side, on stderr for a reader to judge whether they are the same matter:
the texts go to the terminal only, never to a file (the data's licence: do not copy them).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402  (needs ROOT on sys.path)
    DEFAULT_PG,
    SetupError,
    bench_env,
    database_drop,
    database_recreate,
    database_seed,
    log,
    percentile_ms,
    pg_urls,
    temp_var_dir,
)
from bench.triage_repeat.run import cases_clone, django_setup  # noqa: E402
from xinfang.triage.offline import MESSAGE_COLUMNS, csv_read, exact_jaccard  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "teddycup2020c" / "messages.csv"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--threshold", type=float, default=0.5)
    p.add_argument("--show", type=int, default=0, help="print N random found pairs on stderr")
    p.add_argument("--pg", default=DEFAULT_PG)
    p.add_argument("--db-name", default="xinfang_bench_triage_eval")
    p.add_argument("--seed", type=int, default=7)
    return p.parse_args(argv)


def exact_pairs(texts: list[str], threshold: float) -> dict[tuple[int, int], float]:
    """All pairs (i < j) whose 3-gram sets have Jaccard ≥ threshold, by brute force."""
    from scipy import sparse

    from xinfang.triage import minhash

    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, text in enumerate(texts):
        for gram in minhash.shingles(text):
            rows.append(i)
            cols.append(vocab.setdefault(gram, len(vocab)))
    x = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(len(texts), len(vocab))
    )
    inter = (x @ x.T).tocoo()
    size = np.asarray(x.sum(axis=1)).ravel()
    out = {}
    for i, j, n in zip(inter.row, inter.col, inter.data, strict=True):
        if i < j:
            jac = n / (size[i] + size[j] - n)
            if jac >= threshold:
                out[(int(i), int(j))] = float(jac)
    return out


def lsh_pairs(
    case_ids: list[int], threshold: float
) -> tuple[dict[tuple[int, int], float], list[float]]:
    from xinfang.triage.selectors import similar_cases_of_case

    index = {case_id: i for i, case_id in enumerate(case_ids)}
    found: dict[tuple[int, int], float] = {}
    times = []
    for case_id in case_ids:
        t0 = time.perf_counter()
        result = similar_cases_of_case(case_id=case_id, limit=1000, threshold=threshold)
        times.append(time.perf_counter() - t0)
        for other, estimate in result:
            i, j = sorted((index[case_id], index[other]))
            found[(i, j)] = estimate
    return found, times


def show(pairs: list[tuple[int, int]], rows: list[dict[str, str]], found: dict) -> None:
    for i, j in pairs:
        a, b = rows[i], rows[j]
        print(
            f"\n=== {a['留言编号']} ({a['留言用户']}) ~ {b['留言编号']} ({b['留言用户']}) "
            f"est {found[(i, j)]:.2f}\n  A {a['留言主题']} | {a['留言详情'][:160]}\n"
            f"  B {b['留言主题']} | {b['留言详情'][:160]}",
            file=sys.stderr,
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.data.exists():
        log(f"skipped: {args.data} is absent (the shared Teddy Cup data is not on this machine)")
        print(json.dumps({"skipped": f"{args.data} absent"}))
        return 0
    rows = csv_read(args.data, required=MESSAGE_COLUMNS)
    texts = [f"{r['留言主题']}\n{r['留言详情']}" for r in rows]
    admin_url, db_url = pg_urls(args.pg, args.db_name)
    var_dir = temp_var_dir()
    try:
        database_recreate(admin_url, args.db_name)
        database_seed(bench_env(db_url, var_dir))
        django_setup(bench_env(db_url, var_dir))
        from xinfang.triage.services import text_signature_store_many

        first, _last = cases_clone(db_url, len(rows))
        case_ids = [first + i for i in range(len(rows))]
        t0 = time.perf_counter()
        stored = text_signature_store_many(items=list(zip(case_ids, texts, strict=True)))
        store_s = time.perf_counter() - t0
        found, times = lsh_pairs(case_ids, args.threshold)
    except (SetupError, psycopg.Error, OSError) as exc:
        log(f"setup failed: {exc}")
        return 2
    finally:
        database_drop(admin_url, args.db_name)
        shutil.rmtree(var_dir, ignore_errors=True)

    truth = exact_pairs(texts, args.threshold)
    same_user = sum(rows[i]["留言用户"] == rows[j]["留言用户"] for i, j in found)
    exact_of_found = {p: exact_jaccard(texts[p[0]], texts[p[1]]) for p in found}
    errors = [found[p] - exact_of_found[p] for p in found]
    out = {
        "messages": len(rows),
        "stored": stored,
        "threshold": args.threshold,
        "pairs_found": len(found),
        "pairs_same_user": same_user,
        "pairs_other_users": len(found) - same_user,
        "messages_in_a_pair": len({i for p in found for i in p}),
        "exact_pairs": len(truth),
        "recall_vs_exact": round(len(set(found) & set(truth)) / len(truth), 4) if truth else 1.0,
        "precision_vs_exact": round(sum(p in truth for p in found) / len(found), 4)
        if found
        else 1.0,
        "estimate_error_mean": round(float(np.mean(errors)), 4) if errors else 0.0,
        "estimate_error_sd": round(float(np.std(errors)), 4) if errors else 0.0,
        "store_ms_per_message": round(store_s * 1000 / len(rows), 3),
        "lookup_p50_ms": round(percentile_ms(times, 0.5), 2),
        "lookup_p99_ms": round(percentile_ms(times, 0.99), 2),
    }
    print(json.dumps(out), flush=True)
    if args.show:
        rng = random.Random(args.seed)
        show(rng.sample(sorted(found), min(args.show, len(found))), rows, found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
