"""Third-level (leaf) suggestions under the first-level classes the classifier ranks highest.

No petition in the training data has a leaf label, so leaves are scored from words, not fitted:

- **catalogue names**: the words of the leaf's name (and of its second level's, weaker), the
  halves of four-character compounds (违章建筑 → 违章, 建筑) with their abbreviation when the data
  uses it (违建), and the name's character bigrams (weak), each weighted by its rarity (idf)
  among the training messages of the first-level class;
- **learned keywords**: words mined offline from the training messages of the first-level class
  that the names alone attribute to one leaf (distant supervision, see
  ``training.leaf_index_build``), weighted by their log-odds z-score against the rest of the class.

A message's words and the two-character and longer pieces inside its longer words are counted
(the title's count extra); a matched term adds ``weight × (1 + ln count)``. Within a first-level
class the scores become probabilities with a softmax, multiplied by the classifier's probability
of the class, so ``score`` reads as "probability that this is the leaf". ``其他`` leaves get a
small constant: they win when only the second level matched.

Everything comes from ``model/leaves.json`` (plain data, no pickle). Leaves are named by their
path "一级/二级/三级"; mapping a path to a catalogue code in the database is the caller's job.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from xinfang.triage.classifier import MODEL_DIR

LEAVES_FILE = "leaves.json"
LEAVES_FORMAT = 1
OTHER = ("其他", "其它")

# The scorer's settings; leaves.json carries the values it was built and measured with.
DEFAULT_SETTINGS: dict[str, float] = {
    "name": 1.0,  # × idf, the leaf's own name words
    "name_gram": 0.3,  # × idf, character bigrams of the leaf's name
    "parent": 0.25,  # × idf, the second level's name words (shared by its leaves)
    "keyword": 1.0,  # × min(z, cap) / cap, the leaf's learned keywords
    "parent_keyword": 0.3,  # the same for the second level's keywords
    "keyword_cap": 10.0,
    "title_boost": 2.0,  # extra count of a word in the title
    "other": 1.0,  # constant for 其他 leaves
    "temperature": 1.0,  # softmax temperature within a class
    "classes": 2.0,  # how many first-level classes are searched
}


@dataclass(frozen=True)
class LeafSuggestion:
    path: str  # "一级/二级/三级"
    score: float  # P(first level) × P(leaf | first level)
    evidence: tuple[str, ...]  # the matched words, strongest first

    @property
    def names(self) -> tuple[str, str, str]:
        first, second, third = self.path.split("/")
        return first, second, third


def text_units(
    tokens: Iterable[str], title: Iterable[str] = (), title_boost: float = 0.0
) -> dict[str, float]:
    """The words of a text and the 2+ character pieces inside its longer words, counted.

    Pieces inside a word let 城管执法局 match 城管 and 执法, while a piece spanning two words
    (交|供电 → 交供) is never counted."""
    counts: dict[str, float] = dict(Counter(_units(tokens)))
    if title_boost:
        for unit, n in Counter(_units(title)).items():
            counts[unit] = counts.get(unit, 0.0) + title_boost * n
    return counts


def _units(tokens: Iterable[str]) -> list[str]:
    out = list(tokens)
    out += [
        t[i : i + n]
        for t in out
        if len(t) > 2
        for n in range(2, len(t))
        for i in range(len(t) - n + 1)
    ]
    return out


class ClassIndex:
    """The leaves of one first-level class: a dense term × leaf weight matrix (a class has a
    few thousand terms and at most ~120 leaves: a few hundred KB), so a message is scored with
    one matrix product."""

    def __init__(self, entry: Mapping[str, Any], settings: Mapping[str, float]) -> None:
        leaves = entry["leaves"]
        parents = entry.get("parents", {})
        self.paths: list[str] = [leaf["path"] for leaf in leaves]
        self.terms = [_leaf_terms(leaf, parents, settings) for leaf in leaves]
        self.rows: dict[str, int] = {}
        for terms in self.terms:
            for term in terms:
                self.rows.setdefault(term, len(self.rows))
        self.weights = np.zeros((len(self.rows), len(leaves)), dtype=np.float64)
        for i, terms in enumerate(self.terms):
            for term, w in terms.items():
                self.weights[self.rows[term], i] = w
        self.base = np.array(
            [float(settings["other"]) if p.rsplit("/", 1)[1] in OTHER else 0.0 for p in self.paths]
        )

    def scores(self, units: Mapping[str, float]) -> np.ndarray:
        """Each matched term adds weight × (1 + ln count) to its leaves."""
        hits = [(r, n) for t, n in units.items() if (r := self.rows.get(t)) is not None]
        if not hits:
            return self.base.copy()
        rows = np.fromiter((r for r, _ in hits), dtype=np.int64, count=len(hits))
        tf = 1.0 + np.log(np.fromiter((n for _, n in hits), dtype=np.float64, count=len(hits)))
        return self.base + tf @ self.weights[rows]

    def evidence(self, i: int, units: Mapping[str, float], limit: int = 5) -> tuple[str, ...]:
        hits = [(w * (1.0 + math.log(units[t])), t) for t, w in self.terms[i].items() if t in units]
        hits.sort(key=lambda h: (-h[0], h[1]))
        shown: list[str] = []
        for _, term in hits:
            if not any(term in s for s in shown):  # 房产 adds nothing next to 房产证
                shown.append(term)
        return tuple(shown[:limit])


def _leaf_terms(
    leaf: Mapping[str, Any], parents: Mapping[str, Any], settings: Mapping[str, float]
) -> dict[str, float]:
    """Term → weight of one leaf over its five channels (see the module docstring)."""
    parent = parents.get(leaf["path"].rsplit("/", 1)[0], {})
    cap = float(settings["keyword_cap"])
    channels = (
        (leaf.get("terms", []), settings["name"], False),
        (leaf.get("grams", []), settings["name_gram"], False),
        (parent.get("terms", []), settings["parent"], False),
        (leaf.get("keywords", []), settings["keyword"], True),
        (parent.get("keywords", []), settings["parent_keyword"], True),
    )
    terms: dict[str, float] = defaultdict(float)
    for pairs, factor, is_z in channels:
        if not factor:
            continue
        for term, value in pairs:
            terms[term] += float(factor) * (min(float(value), cap) / cap if is_z else float(value))
    return dict(terms)


class LeafIndex:
    """A loaded leaves.json; immutable after construction, so safe to share between threads."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        if data.get("format") != LEAVES_FORMAT:
            raise ValueError(f"unsupported leaves format {data.get('format')!r}")
        self.settings: dict[str, float] = {**DEFAULT_SETTINGS, **data.get("settings", {})}
        self.meta = {k: v for k, v in data.items() if k != "classes"}
        self.classes = {
            name: ClassIndex(entry, self.settings) for name, entry in data["classes"].items()
        }
        self.vocabulary = frozenset(t for c in self.classes.values() for t in c.rows)

    @classmethod
    def load(cls, directory: Path = MODEL_DIR) -> LeafIndex:
        return cls(json.loads((directory / LEAVES_FILE).read_text(encoding="utf-8")))

    def suggest(
        self,
        tokens: Sequence[str],
        ranking: Sequence[tuple[str, float]],
        *,
        k: int = 3,
        title: Sequence[str] = (),
    ) -> list[LeafSuggestion]:
        """The k likeliest leaves under the first ``classes`` entries of ``ranking`` (the
        classifier's (first level, probability) pairs, best first). ``tokens`` are the whole
        text's (``textnorm.tokenize``), ``title`` the title's alone."""
        counted = text_units(tokens, title, self.settings["title_boost"])
        # Most of a message's words are in no leaf's terms: drop them once, not once per class.
        units = {t: n for t, n in counted.items() if t in self.vocabulary}
        tau = self.settings["temperature"]
        found: list[tuple[float, str, ClassIndex, int]] = []
        for name, prob in list(ranking)[: int(self.settings["classes"])]:
            cls = self.classes.get(name)
            if cls is None or not cls.paths:
                continue
            s = cls.scores(units)
            z = np.exp(tau * (s - s.max()))
            z *= prob / z.sum()
            for i in np.argsort(-z, kind="stable")[:k]:
                found.append((float(z[i]), cls.paths[i], cls, int(i)))
        found.sort(key=lambda f: -f[0])
        return [
            LeafSuggestion(path=path, score=p, evidence=cls.evidence(i, units))
            for p, path, cls, i in found[:k]
        ]


_indexes: dict[Path, LeafIndex] = {}
_lock = threading.Lock()


def get_index(directory: Path = MODEL_DIR) -> LeafIndex | None:
    """The leaf index of a model directory, loaded once per process; None if it has none."""
    index = _indexes.get(directory)
    if index is None:
        if not (directory / LEAVES_FILE).exists():
            return None
        with _lock:
            index = _indexes.get(directory)
            if index is None:
                index = _indexes[directory] = LeafIndex.load(directory)
    return index
