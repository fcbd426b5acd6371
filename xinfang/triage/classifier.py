"""First-level content classifier: TF-IDF over jieba words and characters, linear scores.

The shipped model (``model/``) is plain data: ``model.json`` (classes, feature settings and one
vocabulary per feature block) and ``weights.npz`` (IDF per block, coefficients, intercepts and
the softmax temperature), read with ``allow_pickle=False``. Scoring needs numpy only; the
trainer (``bench/triage/train.py``) uses scikit-learn with the same feature functions, so the
two agree (a test checks it). See ``model/MODEL_CARD.md`` for data, scores and limits.
"""

from __future__ import annotations

import json
import operator
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from xinfang.triage.textnorm import tokenize

MODEL_DIR = Path(__file__).resolve().parent / "model"
MODEL_FORMAT = 1


@dataclass(frozen=True)
class Prediction:
    label: str
    probabilities: dict[str, float]
    top: list[tuple[str, float]]


def word_features(tokens: Sequence[str]) -> list[str]:
    """Word unigrams and bigrams over the filtered tokens (bigrams bridge removed stop words,
    as they did in the training file)."""
    feats = list(tokens)
    feats.extend(f"{a} {b}" for a, b in pairwise(tokens))
    return feats


def char_features(tokens: Sequence[str], lo: int, hi: int) -> list[str]:
    """Character n-grams of the tokens joined without spaces: robust to segmentation that
    differs from the training file's (new place names, typos)."""
    text = "".join(tokens)
    grams: list[str] = []
    # n-grams as shifted copies of the text added together: the loops run in C (map over
    # str.__add__), three times faster than slicing in a comprehension; order does not matter.
    shifted: Iterable[str] = text
    for n in range(1, hi + 1):
        if n > 1:
            shifted = map(operator.add, shifted, text[n - 1 :])
        if n >= lo:
            shifted = list(shifted)
            grams.extend(shifted)
    return grams


def block_features(kind: str, tokens: Sequence[str], params: dict[str, Any]) -> list[str]:
    if kind == "word":
        return word_features(tokens)
    if kind == "char":
        return char_features(tokens, int(params["lo"]), int(params["hi"]))
    raise ValueError(f"unknown feature block {kind!r}")


class _Block:
    def __init__(self, spec: dict[str, Any], idf: np.ndarray, offset: int) -> None:
        self.kind: str = spec["kind"]
        self.params: dict[str, Any] = spec.get("params", {})
        self.index = {term: offset + i for i, term in enumerate(spec["vocab"])}
        self.idf = idf.astype(np.float64)
        self.offset = offset

    def vector(self, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Sublinear tf × idf, l2-normalised: scikit-learn's TfidfVectorizer(sublinear_tf=True)."""
        counts = Counter(map(self.index.get, block_features(self.kind, tokens, self.params)))
        counts.pop(None, None)
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        vals = (1.0 + np.log(tf)) * self.idf[cols - self.offset]
        norm = float(np.sqrt(vals @ vals))
        return cols, (vals / norm if norm > 0 else vals)


class Model:
    """A loaded model; immutable after construction, so safe to share between threads."""

    def __init__(self, directory: Path = MODEL_DIR) -> None:
        meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
        if meta.get("format") != MODEL_FORMAT:
            raise ValueError(f"unsupported triage model format {meta.get('format')!r}")
        with np.load(directory / "weights.npz", allow_pickle=False) as arrays:
            self.coef = arrays["coef"].astype(np.float64)
            self.intercept = arrays["intercept"].astype(np.float64)
            self.temperature = float(arrays["temperature"])
            idfs = [arrays[f"idf_{i}"] for i in range(len(meta["blocks"]))]
        self.classes: list[str] = list(meta["classes"])
        self.meta = {k: v for k, v in meta.items() if k != "blocks"}
        self.blocks: list[_Block] = []
        offset = 0
        for spec, idf in zip(meta["blocks"], idfs, strict=True):
            self.blocks.append(_Block(spec, idf, offset))
            offset += len(spec["vocab"])
        if self.coef.shape != (offset, len(self.classes)):
            raise ValueError("triage model: coefficient shape does not match the vocabulary")

    def decision(self, tokens: Sequence[str]) -> np.ndarray:
        """Raw linear scores per class (the trainer's ``decision_function``)."""
        parts = [block.vector(tokens) for block in self.blocks]
        cols = np.concatenate([c for c, _ in parts])
        vals = np.concatenate([v for _, v in parts])
        return self.intercept + vals @ self.coef[cols]

    def probabilities(self, tokens: Sequence[str]) -> np.ndarray:
        z = self.decision(tokens) * self.temperature
        z -= z.max()
        e = np.exp(z)
        return e / e.sum()

    def predict(self, text: str, k: int = 3) -> Prediction:
        return self.predict_tokens(tokenize(text), k=k)

    def predict_tokens(self, tokens: Sequence[str], k: int = 3) -> Prediction:
        """As `predict`, for text the caller already segmented with `textnorm.tokenize`."""
        probs = self.probabilities(tokens)
        pairs = {c: float(p) for c, p in zip(self.classes, probs, strict=True)}
        ranked = sorted(pairs.items(), key=lambda kv: kv[1], reverse=True)
        return Prediction(label=ranked[0][0], probabilities=pairs, top=ranked[:k])


_models: dict[Path, Model] = {}
_model_lock = threading.Lock()


def model_dir() -> Path:
    """``settings.XINFANG_TRIAGE_MODEL_DIR`` (a retrained model, ``manage.py triage_retrain``)
    when Django is configured and it is set, else the shipped model."""
    # Not configured: a bench script or the trainer, outside Django.
    configured = getattr(settings, "XINFANG_TRIAGE_MODEL_DIR", "") if settings.configured else ""
    return Path(configured) if configured else MODEL_DIR


def get_model() -> Model:
    """The model of ``model_dir()``, loaded on first use, once per process."""
    directory = model_dir()
    model = _models.get(directory)
    if model is None:
        with _model_lock:
            model = _models.get(directory)
            if model is None:
                model = _models[directory] = Model(directory)
    return model


def classify(text: str, k: int = 3) -> Prediction:
    """Classify a petition's text (title and detail joined) into a first-level category."""
    return get_model().predict(text, k=k)
