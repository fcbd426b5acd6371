"""Is a petitioner's new petition about the same matter as one of their earlier ones?

The shared 3-gram test (MinHash Jaccard ≥ SAME_MATTER) finds copies and light edits, but a
person's follow-ups on one matter are usually rewritten ("再问…何时能解决", a new title, the
story retold): on the same-user pairs of `messages.csv` it found about a third of them. So a
pair also counts as the same matter when

- their words agree: cosine of IDF-weighted word vectors ≥ WORDS (0.45);
- their titles agree: the same cosine on the titles alone ≥ TITLE (0.6); or
- they name the same housing estate or institution (hotspots.place_keys) and their words
  still agree somewhat (≥ PLACE_WORDS, 0.25): one estate, one complaint retold.

Only one person's few petitions are compared (never the whole table), so this runs on the
fly. Thresholds and their measured precision: docs/benchmarks.md (hand labels in
bench/triage_repeat/labels.csv). IDF comes from the shipped classifier's word vocabulary;
a word it never saw (an estate's name, a company) gets the highest IDF: rare, so telling.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from xinfang.triage import textnorm
from xinfang.triage.hotspots import place_keys

SAME_TEXT = 0.3  # MinHash Jaccard estimate of the 3-gram sets (selectors.SAME_MATTER)
WORDS = 0.45
TITLE = 0.6
PLACE_WORDS = 0.25

Vector = Mapping[str, float]


@dataclass(frozen=True)
class MatterText:
    body: Vector  # title and text together
    title: Vector
    estates: frozenset[str]


@lru_cache(maxsize=1)
def _idf() -> tuple[dict[str, float], float]:
    from xinfang.triage.classifier import get_model

    model = get_model()
    idf: dict[str, float] = {}
    for block in model.blocks:
        if block.kind == "word":
            for term, col in block.index.items():
                if " " not in term:  # unigrams; bigrams are "a b"
                    idf[term] = float(block.idf[col - block.offset])
    return idf, max(idf.values(), default=1.0)


def _vector(tokens: Sequence[str]) -> dict[str, float]:
    idf, unseen = _idf()
    weights = {w: (1.0 + math.log(n)) * idf.get(w, unseen) for w, n in Counter(tokens).items()}
    norm = math.sqrt(sum(v * v for v in weights.values()))
    return {w: v / norm for w, v in weights.items()} if norm else {}


def cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(w, 0.0) for w, v in a.items())


def matter_text(title: str, content: str) -> MatterText:
    title_tokens = textnorm.tokenize(title)
    body_tokens = title_tokens + textnorm.tokenize(content)
    return MatterText(
        body=_vector(body_tokens),
        title=_vector(title_tokens),
        estates=place_keys(f"{title}\n{content}").estates,
    )


def matter_reason(a: MatterText, b: MatterText, *, jaccard: float) -> str | None:
    """Why two texts of one petitioner are the same matter ("text", "words", "title",
    "place"), or None when they are not."""
    if jaccard >= SAME_TEXT:
        return "text"
    words = cosine(a.body, b.body)
    if words >= WORDS:
        return "words"
    if cosine(a.title, b.title) >= TITLE:
        return "title"
    if a.estates & b.estates and words >= PLACE_WORDS:
        return "place"
    return None
