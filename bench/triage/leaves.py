"""Build the leaf index (``xinfang/triage/model/leaves.json``) and measure it.

    .venv/bin/python bench/triage/leaves.py              # build, calibrate, evaluate, time, export
    .venv/bin/python bench/triage/leaves.py --no-export  # the same, in a temporary directory

No message in the data has a leaf label. The figures come from 100 ``dev_raw.csv`` messages
hand-labelled with their leaf (``xinfang/triage/tests/leaf_sample.tsv``): the ``tune`` half
chose the settings and fits the softmax temperature, the ``test`` half is reported as is.
"end_to_end" ranks leaves under the classifier's first levels; "given_first_level" under the
labelled one (what the leaf scorer alone achieves). ``names_only`` is the same scorer without
the learned keywords. Prints one JSON line on stdout; progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scipy.optimize import minimize_scalar

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from xinfang.catalog.defaults import TAXONOMY_CSV  # noqa: E402
from xinfang.triage import classifier, leaves, textnorm, training  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "teddycup2020c"
SAMPLE = ROOT / "xinfang" / "triage" / "tests" / "leaf_sample.tsv"
SOURCE = (
    "catalogue names (xinfang/data/catalog/taxonomy.csv) and keywords mined from "
    "Teddy Cup 2020 problem C train_tokenized.csv"
)


def log(msg: str) -> None:
    print(f"[bench-leaves] {msg}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Item:
    id: str
    split: str
    gold: str  # leaf path
    tokens: list[str]
    title: list[str]
    ranking: list[tuple[str, float]]  # the classifier's first levels, best first


def sample_read(path: Path = SAMPLE) -> list[tuple[str, str, str]]:
    """(message id, split, leaf path) of the hand-labelled sample."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or line.startswith("id\t"):
            continue
        ident, split, leaf = line.split("\t")
        rows.append((ident, split, leaf))
    return rows


def sample_items(data: Path, model: classifier.Model | None = None) -> list[Item]:
    model = model or classifier.get_model()
    dev = {r["留言编号"]: r for r in training.read_csv(data / "dev_raw.csv")}
    items = []
    for ident, split, gold in sample_read():
        row = dev[ident]
        text = textnorm.petition_text(row["留言主题"], row["留言详情"])
        pred = model.predict(text, k=len(model.classes))
        tokens = textnorm.tokenize(text)
        title = textnorm.tokenize(row["留言主题"])
        items.append(Item(ident, split, gold, tokens, title, pred.top))
    return items


def accuracy(
    index: leaves.LeafIndex, items: Sequence[Item], *, given_first_level: bool = False
) -> dict[str, Any]:
    """top-1 / top-3 leaf accuracy, and the mean confidence of the top-1 proposal."""
    hit1 = hit3 = 0
    confidence = []
    for it in items:
        ranking = [(it.gold.split("/")[0], 1.0)] if given_first_level else it.ranking
        top = index.suggest(it.tokens, ranking, k=3, title=it.title)
        hit1 += bool(top) and top[0].path == it.gold
        hit3 += any(s.path == it.gold for s in top)
        confidence.append(top[0].score if top else 0.0)
    n = len(items)
    return {
        "n": n,
        "top1": round(hit1 / n, 3) if n else 0.0,
        "top3": round(hit3 / n, 3) if n else 0.0,
        "mean_top1_score": round(statistics.fmean(confidence), 3) if n else 0.0,
    }


def report(index: leaves.LeafIndex, items: Sequence[Item]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for split in ("tune", "test", "all"):
        part = [it for it in items if split in ("all", it.split)]
        out[split] = {
            "end_to_end": accuracy(index, part),
            "given_first_level": accuracy(index, part, given_first_level=True),
        }
    return out


def fit_temperature(data: dict[str, Any], items: Sequence[Item]) -> float:
    """The within-class softmax temperature minimising the log-loss of the gold leaf on the
    tune half (first level given)."""
    tune = [it for it in items if it.split == "tune"]

    def nll(tau: float) -> float:
        index = leaves.LeafIndex({**data, "settings": {**data["settings"], "temperature": tau}})
        total = 0.0
        for it in tune:
            first = it.gold.split("/")[0]
            cls = index.classes[first]
            s = cls.scores(leaves.text_units(it.tokens, it.title, index.settings["title_boost"]))
            z = tau * (s - s.max())
            logp = z - math.log(sum(math.exp(v) for v in z))
            total -= float(logp[cls.paths.index(it.gold)])
        return total / len(tune)

    return round(float(minimize_scalar(nll, bounds=(0.05, 5.0), method="bounded").x), 3)


def timing(index: leaves.LeafIndex, data: Path, model: classifier.Model) -> dict[str, float]:
    """CPU time of ``suggest`` alone per dev message (tokens and ranking computed before)."""
    rows = training.read_csv(data / "dev_raw.csv")
    prepared = []
    for r in rows:
        text = textnorm.petition_text(r["留言主题"], r["留言详情"])
        prepared.append(
            (textnorm.tokenize(text), textnorm.tokenize(r["留言主题"]), model.predict(text).top)
        )
    times = []
    for tokens, title, ranking in prepared:
        start = time.process_time()
        index.suggest(tokens, ranking, k=3, title=title)
        times.append(time.process_time() - start)
    times.sort()
    return {
        "messages": len(times),
        "mean_us": round(1e6 * statistics.fmean(times), 1),
        "p50_us": round(1e6 * times[len(times) // 2], 1),
        "p99_us": round(1e6 * times[int(len(times) * 0.99)], 1),
    }


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--taxonomy", type=Path, default=TAXONOMY_CSV)
    p.add_argument("--out", type=Path, default=classifier.MODEL_DIR)
    p.add_argument("--no-export", action="store_true", help="write to a temporary directory")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    start = time.process_time()
    docs, labels = training.training_file(args.data / "train_tokenized.csv")
    taxonomy = training.taxonomy_read(args.taxonomy)
    data = training.leaf_index_build(docs, labels, taxonomy, extra={"source": SOURCE}, log=log)
    build_s = time.process_time() - start
    model = classifier.get_model()
    items = sample_items(args.data, model)
    data["settings"]["temperature"] = fit_temperature(data, items)
    log(f"temperature {data['settings']['temperature']}")
    index = leaves.LeafIndex(data)
    names_only = leaves.LeafIndex(
        {**data, "settings": {**data["settings"], "keyword": 0.0, "parent_keyword": 0.0}}
    )
    out = args.out if not args.no_export else Path(tempfile.mkdtemp(prefix="triage-leaves-"))
    path = training.leaf_index_write(data, out)
    result = {
        "sample": report(index, items),
        "names_only": report(names_only, items),
        "suggest_time": timing(index, args.data, model),
        "build_cpu_s": round(build_s, 1),
        "leaves": sum(len(c["leaves"]) for c in data["classes"].values()),
        "leaves_with_keywords": sum(
            1 for c in data["classes"].values() for leaf in c["leaves"] if leaf["keywords"]
        ),
        "size_mb": round(path.stat().st_size / 2**20, 2),
        "out": str(path),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
