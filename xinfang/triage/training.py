"""Training the triage models offline: the first-level classifier and the leaf index.

Used by ``bench/triage/train.py`` (the shipped model, its cross-validation and figures), by
``bench/triage/leaves.py`` (the shipped ``leaves.json``) and by ``manage.py triage_retrain``
(refit with staff-confirmed labels). Nothing here touches the database; outputs are plain
files that ``classifier.Model`` and ``leaves.LeafIndex`` read (no pickle).

First level: TF-IDF blocks (``classifier.block_features``) and a linear SVM, fitted on every
n-gram seen twice, pruned to the strongest ones and refitted on those only (see the model card).

Leaves: no message has a leaf label, so the index is built from the catalogue's names and from
keywords mined by distant supervision (``leaf_index_build``).
"""

from __future__ import annotations

import csv
import json
import math
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
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

from xinfang.triage import classifier, leaves, offline, textnorm

Log = Callable[[str], None]
Taxonomy = Sequence[tuple[str, str, str]]


def _quiet(msg: str) -> None:
    return None


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def training_file(path: Path) -> tuple[list[list[str]], list[str]]:
    """Token lists and labels of ``train_tokenized.csv`` (columns tokens, label), re-filtered
    with the shipped stop list as the classifier filters raw text."""
    rows = offline.csv_read(path, required=("tokens", "label"))
    return [textnorm.filter_tokens(r["tokens"].split()) for r in rows], [r["label"] for r in rows]


# --- first level -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FitParams:
    features: int = 50_000  # n-grams kept after pruning
    C: float = 0.5
    char_lo: int = 1
    char_hi: int = 3


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


def fit(
    docs: list[list[str]],
    labels: list[str],
    params: FitParams,
    sample_weight: np.ndarray | None = None,
) -> Trained:
    """Fit on every n-gram seen twice, keep the ``features`` strongest, refit on those only:
    the refit makes the shipped (pruned) model exact rather than an approximation.
    ``sample_weight`` weighs examples in the SVM's loss (staff-confirmed labels count more)."""
    specs = block_specs(params.char_lo, params.char_hi)
    vecs = [vectorizer(s) for s in specs]
    full = sparse.hstack([v.fit_transform(docs) for v in vecs]).tocsr()
    svm = _svm(params).fit(full, labels, sample_weight=sample_weight)
    strength = np.abs(svm.coef_).max(axis=0)
    keep = np.zeros(strength.shape[0], dtype=bool)
    keep[np.argsort(-strength)[: params.features]] = True
    pruned, offset = [], 0
    for spec, vec in zip(specs, vecs, strict=True):
        names = vec.get_feature_names_out()
        mask = keep[offset : offset + len(names)]
        pruned.append(vectorizer(spec, vocabulary=[str(n) for n in names[mask]]))
        offset += len(names)
    matrix = sparse.hstack([v.fit_transform(docs) for v in pruned]).tocsr()
    return Trained(specs, pruned, _svm(params).fit(matrix, labels, sample_weight=sample_weight))


def _svm(params: FitParams) -> LinearSVC:
    return LinearSVC(C=params.C, class_weight="balanced", random_state=0)


def fit_temperature(scores: np.ndarray, labels: list[str], classes: list[str]) -> float:
    """Softmax temperature minimising the log-loss of out-of-fold SVM scores."""
    y = np.array([classes.index(c) for c in labels])

    def nll(t: float) -> float:
        z = scores * t
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(y)), y].mean())

    return float(minimize_scalar(nll, bounds=(0.1, 50.0), method="bounded").x)


def cross_validate(
    docs: list[list[str]],
    labels: list[str],
    params: FitParams,
    folds: int,
    *,
    sample_weight: np.ndarray | None = None,
    log: Log = _quiet,
) -> dict[str, Any]:
    """Stratified k-fold CV of the whole procedure; scores unweighted, plus the temperature
    fitted on the out-of-fold scores."""
    splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    classes = sorted(set(labels))
    scores = np.zeros((len(docs), len(classes)))
    for i, (tr, te) in enumerate(splits.split(docs, labels), 1):
        weight = sample_weight[tr] if sample_weight is not None else None
        model = fit([docs[j] for j in tr], [labels[j] for j in tr], params, weight)
        scores[te] = model.decision([docs[j] for j in te])
        log(f"CV fold {i}/{folds} done")
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
    """``model.json`` and ``weights.npz`` in ``out``, in the format ``classifier.Model`` reads."""
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


def evaluate_texts(
    model: classifier.Model, texts: Sequence[str], gold: Sequence[str]
) -> dict[str, Any]:
    """Scores of the exported (numpy) model on raw texts: macro-F1 over the classes that
    occur in ``gold`` and that the model knows (a class with no example there would add a
    meaningless 0), and gold labels it does not know counted as errors (``unknown_labels``)."""
    classes = sorted(set(gold) & set(model.classes))
    if not classes:  # no gold label is one of the model's classes: every row is an error
        return {"n": len(gold), "macro_f1": None, "accuracy": 0.0, "unknown_labels": len(gold)}
    pred = [model.predict(t).label for t in texts]
    return offline.classification_scores(list(gold), pred, classes)


def evaluate_raw(model: classifier.Model, rows: list[dict[str, str]], label_col: str) -> dict:
    """The exported model's scores on a file of raw messages, and its throughput on this
    core (tokenisation included)."""
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


# --- leaves ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeafMining:
    """Settings of the distant supervision (chosen on the tune half of the hand-labelled
    sample, bench/triage/leaves.py)."""

    seed_min_score: float = 2.0  # name evidence a message needs to be attributed to a leaf
    seed_margin: float = 0.5  # …and its lead over the second-best leaf of the class
    min_docs: int = 3  # messages a leaf needs before keywords are mined for it
    min_count: int = 2  # messages a keyword must occur in
    min_z: float = 2.0  # log-odds z-score a keyword needs
    prior: float = 500.0  # strength of the informative Dirichlet prior
    top: int = 30  # keywords kept per leaf or second level
    min_class_docs: int = 30  # below this a class's idf is taken over the whole corpus


_NOT_A_KEYWORD = re.compile(r"[A-Za-z0-9]")  # anonymised places (A市, A3区), numbers, codes


def taxonomy_read(path: Path) -> list[tuple[str, str, str]]:
    """(first, second, third) names of the catalogue file (一级分类,二级分类,三级分类)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        return [(r[0].strip(), r[1].strip(), r[2].strip()) for r in reader if len(r) >= 3]


def name_terms(name: str) -> list[str]:
    """The words of a catalogue name as the classifier's tokenizer cuts them, plus the halves
    of four-character compounds (电力供应 → 电力, 供应): petitions often use only one half."""
    if name.startswith(leaves.OTHER):
        return []
    out: list[str] = []
    for word in textnorm.tokenize(name):
        if len(word) < 2:
            continue
        out.append(word)
        if len(word) == 4:
            out += [word[:2], word[2:]]
    return list(dict.fromkeys(out))


def _abbreviations(name: str) -> list[str]:
    """违章建筑 → 违建: the first characters of a four-character compound's halves."""
    if name.startswith(leaves.OTHER):
        return []
    return [w[0] + w[2] for w in textnorm.tokenize(name) if len(w) == 4]


def _grams(name: str) -> list[str]:
    if name.startswith(leaves.OTHER):
        return []
    return [name[i : i + 2] for i in range(len(name) - 1)]


class _Corpus:
    """The training messages as sets of text units, by class, with document frequencies."""

    def __init__(self, docs: Sequence[Sequence[str]], labels: Sequence[str]) -> None:
        self.docs = docs
        self.units = [set(leaves.text_units(d)) for d in docs]
        self.by_class: dict[str, list[int]] = defaultdict(list)
        for i, label in enumerate(labels):
            self.by_class[label].append(i)
        self.token_df = Counter(t for d in docs for t in set(d))
        self.class_token_df = {
            c: Counter(t for i in rows for t in set(docs[i])) for c, rows in self.by_class.items()
        }

    def unit_df(self, terms: set[str], rows: Iterable[int]) -> Counter:
        return Counter(t for i in rows for t in self.units[i] & terms)


def leaf_index_build(
    docs: Sequence[Sequence[str]],
    labels: Sequence[str],
    taxonomy: Taxonomy,
    *,
    confirmed: Mapping[str, Sequence[int]] | None = None,
    settings: Mapping[str, float] | None = None,
    mining: LeafMining = LeafMining(),
    extra: Mapping[str, Any] | None = None,
    log: Log = _quiet,
) -> dict[str, Any]:
    """The leaf index (``leaves.json``) of a taxonomy, from token lists labelled with their
    first-level class.

    1. Name terms (``name_terms``, abbreviations the data uses, name bigrams) get the idf of
       their class's messages.
    2. Distant supervision: each message is scored by the names alone; when one leaf of its
       class leads clearly (``seed_min_score``, ``seed_margin``) the message is attributed to it.
       ``confirmed`` (leaf path → indices into ``docs``) adds messages staff filed under a leaf.
    3. Keywords of a leaf (and of a second level, over its leaves' messages) are the words whose
       log-odds in its messages against the rest of the class, with an informative Dirichlet
       prior (Monroe et al. 2008), have a z-score ≥ ``min_z``.
    Deterministic: the same inputs give the same file.
    """
    corpus = _Corpus(docs, labels)
    tree: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for first, second, third in taxonomy:
        tree[first][second].append(third)
    vocab = _name_vocabulary(tree, corpus)
    classes: dict[str, Any] = {}
    for first, seconds in tree.items():
        classes[first] = _class_entry(first, seconds, corpus, vocab, mining)
    seeded = _attribute(classes, corpus, mining, confirmed or {})
    for first, entry in classes.items():
        _keywords(first, entry, seeded, corpus, mining)
        log(f"leaves: {first} done")
    return {
        "format": leaves.LEAVES_FORMAT,
        **(extra or {}),
        "n_docs": len(docs),
        "settings": {**leaves.DEFAULT_SETTINGS, **(settings or {})},
        "classes": classes,
    }


def _name_vocabulary(tree: Mapping[str, Mapping[str, list[str]]], corpus: _Corpus) -> set[str]:
    """Abbreviations and bigrams of names are kept only when some message uses them."""
    candidates = {
        t
        for seconds in tree.values()
        for second, thirds in seconds.items()
        for name in (second, *thirds)
        for t in (*_abbreviations(name), *_grams(name))
    }
    df = corpus.unit_df(candidates, range(len(corpus.docs)))
    return {t for t in candidates if df[t] >= 2}


def _class_entry(
    first: str,
    seconds: Mapping[str, list[str]],
    corpus: _Corpus,
    vocab: set[str],
    mining: LeafMining,
) -> dict[str, Any]:
    rows = corpus.by_class.get(first, [])
    if len(rows) < mining.min_class_docs:
        rows = list(range(len(corpus.docs)))
    terms_of = {
        name: name_terms(name) + [a for a in _abbreviations(name) if a in vocab]
        for second, thirds in seconds.items()
        for name in (second, *thirds)
    }
    wanted = {t for ts in terms_of.values() for t in ts} | vocab
    df = corpus.unit_df(wanted, rows)
    n = len(rows)

    def weighted(ts: Iterable[str]) -> list[list[Any]]:
        return [[t, round(math.log((n + 1) / (df[t] + 1)), 3)] for t in dict.fromkeys(ts)]

    entry_leaves, parents = [], {}
    for second, thirds in seconds.items():
        parents[f"{first}/{second}"] = {"terms": weighted(terms_of[second]), "keywords": []}
        for third in thirds:
            own = set(terms_of[third])
            grams = [g for g in _grams(third) if g in vocab and g not in own]
            entry_leaves.append(
                {
                    "path": f"{first}/{second}/{third}",
                    "terms": weighted(terms_of[third]),
                    "grams": weighted(grams),
                    "keywords": [],
                }
            )
    return {
        "n_docs": len(corpus.by_class.get(first, [])),
        "leaves": entry_leaves,
        "parents": parents,
    }


_NAMES_ONLY = {
    **leaves.DEFAULT_SETTINGS,
    "name_gram": 0.0,
    "keyword": 0.0,
    "parent_keyword": 0.0,
    "other": 0.0,
}


def _attribute(
    classes: Mapping[str, Any],
    corpus: _Corpus,
    mining: LeafMining,
    confirmed: Mapping[str, Sequence[int]],
) -> dict[str, list[int]]:
    """Leaf path → the messages its name clearly points to, and those staff filed under it."""
    seeded: dict[str, list[int]] = defaultdict(list)
    for first, entry in classes.items():
        index = leaves.ClassIndex(entry, _NAMES_ONLY)
        for i in corpus.by_class.get(first, []):
            s = index.scores(leaves.text_units(corpus.docs[i]))
            if len(s) == 0:
                continue
            order = np.argsort(-s, kind="stable")
            best = float(s[order[0]])
            second = float(s[order[1]]) if len(s) > 1 else 0.0
            if best >= mining.seed_min_score and best - second >= mining.seed_margin:
                seeded[index.paths[order[0]]].append(i)
    # A staff label overrides what the names suggested for that message.
    staff = {i for rows in confirmed.values() for i in rows}
    seeded = defaultdict(list, {p: [i for i in r if i not in staff] for p, r in seeded.items()})
    for path, rows in confirmed.items():
        seeded[path] = sorted(set(seeded[path]) | set(rows))
    return seeded


def _keywords(
    first: str,
    entry: dict[str, Any],
    seeded: Mapping[str, list[int]],
    corpus: _Corpus,
    mining: LeafMining,
) -> None:
    parent_rows: dict[str, set[int]] = defaultdict(set)
    for leaf in entry["leaves"]:
        rows = seeded.get(leaf["path"], [])
        leaf["docs"] = len(rows)
        parent_rows[leaf["path"].rsplit("/", 1)[0]].update(rows)
        exclude = {t for t, _ in leaf["terms"]}
        leaf["keywords"] = _log_odds(first, rows, exclude, corpus, mining)
    for path, parent in entry["parents"].items():
        rows = sorted(parent_rows[path])
        parent["docs"] = len(rows)
        exclude = {t for t, _ in parent["terms"]}
        parent["keywords"] = _log_odds(first, rows, exclude, corpus, mining)


def _log_odds(
    first: str, rows: Sequence[int], exclude: set[str], corpus: _Corpus, mining: LeafMining
) -> list[list[Any]]:
    """Words over-represented in ``rows`` against the rest of the class, by z-score; against
    the whole corpus when the rest of the class is too small to compare with (a class new from
    staff labels)."""
    if len(rows) < mining.min_docs:
        return []
    inside = Counter(t for i in rows for t in set(corpus.docs[i]))
    whole = corpus.class_token_df.get(first, Counter())
    if len(corpus.by_class.get(first, [])) - len(rows) < mining.min_class_docs:
        whole = corpus.token_df
    n_in = sum(inside.values())
    n_out = sum(whole.values()) - n_in
    total = sum(corpus.token_df.values())
    a0 = mining.prior
    found = []
    for word, c_in in inside.items():
        if c_in < mining.min_count or len(word) < 2 or word in exclude:
            continue
        if _NOT_A_KEYWORD.search(word):
            continue
        a = a0 * corpus.token_df[word] / total
        c_out = max(whole[word] - c_in, 0)
        delta = math.log((c_in + a) / (n_in + a0 - c_in - a)) - math.log(
            (c_out + a) / (n_out + a0 - c_out - a)
        )
        z = delta / math.sqrt(1 / (c_in + a) + 1 / (c_out + a))
        if z >= mining.min_z:
            found.append((round(z, 2), word))
    found.sort(key=lambda f: (-f[0], f[1]))
    return [[w, z] for z, w in found[: mining.top]]


def leaf_index_write(data: Mapping[str, Any], out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / leaves.LEAVES_FILE
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return path
