"""Train, evaluate and export the first-level triage classifier (no pickle).

    .venv/bin/python bench/triage/train.py                  # train, CV, dev, export, measure
    .venv/bin/python bench/triage/train.py --derive-stopwords   # also rebuild stopwords.txt
    .venv/bin/python bench/triage/train.py --no-cv --no-export   # quick look at dev only

Trains on ``train_tokenized.csv`` (tokens re-filtered with the shipped stop list), evaluates on
``dev_raw.csv`` (raw text through ``xinfang.triage.textnorm``) with the exported numpy model, and
reports a stratified 5-fold cross-validation of the whole procedure on the training file. Prints
one JSON line on stdout; progress on stderr. See bench/README.md and model/MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.triage import stopwords  # noqa: E402
from xinfang.triage import classifier, offline, textnorm  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "teddycup2020c"
SOURCE = "Teddy Cup 2020 problem C (智慧政务中的文本挖掘应用), train_tokenized.csv"


def log(msg: str) -> None:
    print(f"[bench-triage] {msg}", file=sys.stderr, flush=True)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def block_specs(char_lo: int, char_hi: int) -> list[dict[str, Any]]:
    return [
        {"kind": "word", "params": {}},
        {"kind": "char", "params": {"lo": char_lo, "hi": char_hi}},
    ]


def vectorizer(spec: dict[str, Any], vocabulary: list[str] | None = None) -> TfidfVectorizer:
    analyzer = partial(classifier.block_features, spec["kind"], params=spec["params"])
    return TfidfVectorizer(
        analyzer=analyzer,
        sublinear_tf=True,
        lowercase=False,  # the analyzer is ours; say so rather than rely on sklearn skipping it
        min_df=1 if vocabulary is not None else 2,
        vocabulary=vocabulary,
        dtype=np.float64,
    )


class Trained:
    """Vectorizers per block and a linear SVM fitted on the pruned vocabulary."""

    def __init__(self, specs: list[dict[str, Any]], vecs: list[TfidfVectorizer], svm: LinearSVC):
        self.specs, self.vecs, self.svm = specs, vecs, svm

    def transform(self, docs: list[list[str]]) -> sparse.csr_matrix:
        return sparse.hstack([v.transform(docs) for v in self.vecs]).tocsr()

    def decision(self, docs: list[list[str]]) -> np.ndarray:
        return np.asarray(self.svm.decision_function(self.transform(docs)))


def fit(docs: list[list[str]], labels: list[str], args: argparse.Namespace) -> Trained:
    """Fit on every n-gram seen twice, keep the ``--features`` strongest, refit on those only:
    the refit makes the shipped (pruned) model exact rather than an approximation."""
    specs = block_specs(args.char_lo, args.char_hi)
    vecs = [vectorizer(s) for s in specs]
    full = sparse.hstack([v.fit_transform(docs) for v in vecs]).tocsr()
    svm = LinearSVC(C=args.C, class_weight="balanced", random_state=0).fit(full, labels)
    strength = np.abs(svm.coef_).max(axis=0)
    keep = np.zeros(strength.shape[0], dtype=bool)
    keep[np.argsort(-strength)[: args.features]] = True
    pruned, offset = [], 0
    for spec, vec in zip(specs, vecs, strict=True):
        names = vec.get_feature_names_out()
        mask = keep[offset : offset + len(names)]
        pruned.append(vectorizer(spec, vocabulary=[str(n) for n in names[mask]]))
        offset += len(names)
    matrix = sparse.hstack([v.fit_transform(docs) for v in pruned]).tocsr()
    return Trained(
        specs,
        pruned,
        LinearSVC(C=args.C, class_weight="balanced", random_state=0).fit(matrix, labels),
    )


def fit_temperature(scores: np.ndarray, labels: list[str], classes: list[str]) -> float:
    """Softmax temperature minimising the log-loss of out-of-fold SVM scores."""
    y = np.array([classes.index(c) for c in labels])

    def nll(t: float) -> float:
        z = scores * t
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(y)), y].mean())

    return float(minimize_scalar(nll, bounds=(0.1, 50.0), method="bounded").x)


def cross_validate(docs: list[list[str]], labels: list[str], args: argparse.Namespace) -> dict:
    folds = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=0)
    classes = sorted(set(labels))
    scores = np.zeros((len(docs), len(classes)))
    for i, (tr, te) in enumerate(folds.split(docs, labels), 1):
        model = fit([docs[j] for j in tr], [labels[j] for j in tr], args)
        scores[te] = model.decision([docs[j] for j in te])
        log(f"CV fold {i}/{args.folds} done")
    pred = [classes[k] for k in scores.argmax(axis=1)]
    return {
        "macro_f1": round(float(f1_score(labels, pred, average="macro")), 4),
        "accuracy": round(float(np.mean(np.array(pred) == np.array(labels))), 4),
        "per_class": dict(
            zip(
                classes,
                np.round(f1_score(labels, pred, average=None, labels=classes), 4).tolist(),
                strict=True,
            )
        ),
        "temperature": fit_temperature(scores, labels, classes),
    }


def export(model: Trained, temperature: float, out: Path, extra: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    blocks = [
        {**spec, "vocab": [str(t) for t in vec.get_feature_names_out()]}
        for spec, vec in zip(model.specs, model.vecs, strict=True)
    ]
    meta = {
        "format": classifier.MODEL_FORMAT,
        "classes": [str(c) for c in model.svm.classes_],
        "blocks": blocks,
        **extra,
    }
    (out / "model.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    arrays = {f"idf_{i}": vec.idf_.astype(np.float32) for i, vec in enumerate(model.vecs)}
    np.savez_compressed(
        out / "weights.npz",
        allow_pickle=False,
        coef=model.svm.coef_.T.astype(np.float32),
        intercept=model.svm.intercept_.astype(np.float64),
        temperature=np.float64(temperature),
        **arrays,
    )


def evaluate_raw(model: classifier.Model, rows: list[dict[str, str]], label_col: str) -> dict:
    texts = [textnorm.petition_text(r["留言主题"], r["留言详情"]) for r in rows]
    gold = [r[label_col] for r in rows]
    model.predict(texts[0])  # jieba's dictionary loads on first use; not part of the rate
    start = time.process_time()
    pred = [model.predict(t).label for t in texts]
    cpu = time.process_time() - start
    return {
        **offline.classification_scores(gold, pred, model.classes),
        "msgs_per_s": round(len(rows) / cpu, 1),
    }


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
    train = read_csv(args.data / "train_tokenized.csv")
    docs = [textnorm.filter_tokens(r["tokens"].split()) for r in train]
    labels = [r["label"] for r in train]
    cv = cross_validate(docs, labels, args) if not args.no_cv else None
    temperature = cv["temperature"] if cv else 1.0
    log("fitting on the whole training file")
    model = fit(docs, labels, args)
    out = args.out if not args.no_export else Path(tempfile.mkdtemp(prefix="triage-model-"))
    extra = {
        "source": SOURCE,
        "trained": dt.datetime.now(dt.UTC).date().isoformat(),
        "n_train": len(docs),
        "algorithm": f"LinearSVC(C={args.C}, class_weight=balanced), softmax temperature",
        "cv": cv,
    }
    export(model, temperature, out, extra)
    loaded = classifier.Model(out)
    dev = evaluate_raw(loaded, read_csv(args.data / "dev_raw.csv"), "一级标签")
    result = {"dev_raw": dev, "cv_train": cv, "features": args.features, "sizes_mb": sizes(out)}
    if not args.no_export:
        result["memory"] = measure_memory()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
