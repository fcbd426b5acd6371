"""Train, evaluate and export the first-level triage classifier (no pickle).

    .venv/bin/python bench/triage/train.py                  # train, CV, dev, export, measure
    .venv/bin/python bench/triage/train.py --derive-stopwords   # also rebuild stopwords.txt
    .venv/bin/python bench/triage/train.py --no-cv --no-export   # quick look at dev only

Trains on ``train_tokenized.csv`` (tokens re-filtered with the shipped stop list), evaluates on
``dev_raw.csv`` (raw text through ``xinfang.triage.textnorm``) with the exported numpy model, and
reports a stratified 5-fold cross-validation of the whole procedure on the training file. Prints
one JSON line on stdout; progress on stderr. The training functions live in
``xinfang.triage.training`` (shared with ``manage.py triage_retrain``). See bench/README.md and
model/MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.triage import stopwords  # noqa: E402
from xinfang.triage import classifier, textnorm, training  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "teddycup2020c"
SOURCE = "Teddy Cup 2020 problem C (智慧政务中的文本挖掘应用), train_tokenized.csv"


def log(msg: str) -> None:
    print(f"[bench-triage] {msg}", file=sys.stderr, flush=True)


MEMORY_PROBE = """
import json, resource, sys
sys.path.insert(0, {root!r})
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS'):
            return int(line.split()[1]) / 1024
from xinfang.triage import classifier, textnorm
base = rss(); textnorm.tokenize('测试'); seg = rss()
classifier.get_model(); model = rss(); classifier.classify('小区噪音扰民')
print(json.dumps({{"jieba_mb": round(seg - base, 1), "model_mb": round(model - seg, 1),
                   "total_added_mb": round(rss() - base, 1), "rss_mb": round(rss(), 1)}}))
"""


def measure_memory() -> dict:
    """RSS added by jieba's dictionary and by the model, in a fresh process on one core."""
    code = MEMORY_PROBE.format(root=str(ROOT))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def sizes(out: Path) -> dict[str, float]:
    return {p.name: round(p.stat().st_size / 2**20, 2) for p in sorted(out.iterdir())}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--out", type=Path, default=classifier.MODEL_DIR)
    p.add_argument("--features", type=int, default=50_000, help="n-grams kept after pruning")
    p.add_argument("--C", type=float, default=0.5)
    p.add_argument("--char-lo", type=int, default=1)
    p.add_argument("--char-hi", type=int, default=3)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--no-cv", action="store_true", help="skip the cross-validation")
    p.add_argument("--no-export", action="store_true", help="evaluate in a temporary directory")
    p.add_argument("--derive-stopwords", action="store_true")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    if args.derive_stopwords:
        words = stopwords.derive(args.data)
        stopwords.write(words)
        textnorm.stopwords.cache_clear()
        log(f"wrote {len(words)} stop words to {textnorm.STOPWORDS_PATH}")
    params = training.FitParams(
        features=args.features, C=args.C, char_lo=args.char_lo, char_hi=args.char_hi
    )
    docs, labels = training.training_file(args.data / "train_tokenized.csv")
    cv = None
    if not args.no_cv:
        cv = training.cross_validate(docs, labels, params, args.folds, log=log)
    temperature = cv["temperature"] if cv else 1.0
    log("fitting on the whole training file")
    model = training.fit(docs, labels, params)
    out = args.out if not args.no_export else Path(tempfile.mkdtemp(prefix="triage-model-"))
    extra = {
        "source": SOURCE,
        "trained": dt.datetime.now(dt.UTC).date().isoformat(),
        "n_train": len(docs),
        "algorithm": f"LinearSVC(C={args.C}, class_weight=balanced), softmax temperature",
        "cv": cv,
    }
    training.export(model, temperature, out, extra)
    loaded = classifier.Model(out)
    dev = training.evaluate_raw(loaded, training.read_csv(args.data / "dev_raw.csv"), "一级标签")
    result = {"dev_raw": dev, "cv_train": cv, "features": args.features, "sizes_mb": sizes(out)}
    if not args.no_export:
        result["memory"] = measure_memory()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
