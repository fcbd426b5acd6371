"""Text normalisation and word segmentation for triage.

The classifier is trained on ``train_tokenized.csv`` of the Teddy Cup 2020 C data, whose texts
were segmented with jieba's default dictionary (HMM on) and then had stop words and single
digits removed. Raw petitions must go through the same steps, or the word bigrams and character
n-grams of a raw text would not match the ones the model learned. ``model/stopwords.txt`` was
derived from the data (see ``bench/triage/train.py --derive-stopwords``): the tokens jieba
produces on raw messages that the tokenised copy of the same messages never keeps.

Segmentation runs in `rjieba` (jieba-rs: the same algorithm and dictionary, in Rust): ~50×
faster than Python jieba, and on the 456 development messages 91 % of the token sequences are
identical and the classifier's scores unchanged (bench/triage/README or docs/benchmarks.md).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import rjieba

STOPWORDS_PATH = Path(__file__).resolve().parent / "model" / "stopwords.txt"

# Excel's escaped carriage return survives in some exports; \u200b and \ufeff are invisible.
_SPACES = re.compile(r"_x000D_|[\u3000\xa0\u200b\ufeff\r\t\n]+")
# Masked personal data (phone 138****1234, ID numbers) is noise for the content class.
_MASK = re.compile(r"[*＊]+")

_tokenizer: rjieba.Jieba | None = None
_tokenizer_lock = threading.Lock()


def normalise(text: str) -> str:
    """Blank out layout characters and masked PII runs; keep everything else as written."""
    text = _MASK.sub(" ", text)
    return _SPACES.sub(" ", text)


@cache
def stopwords() -> frozenset[str]:
    lines = STOPWORDS_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _jieba() -> rjieba.Jieba:
    # A private tokenizer: words other code adds to a shared dictionary must not change how
    # the classifier segments text.
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                _tokenizer = rjieba.Jieba()
    return _tokenizer


def keep_token(token: str, stop: frozenset[str]) -> bool:
    """The filter the training data went through: no blanks, stop words or single digits."""
    if not token or token.isspace() or token in stop:
        return False
    return not (len(token) == 1 and token.isdigit())


def filter_tokens(tokens: Iterable[str]) -> list[str]:
    stop = stopwords()
    return [t for t in tokens if keep_token(t, stop)]


def tokenize(text: str) -> list[str]:
    """Segment raw text (title and detail joined) the way the training file was segmented."""
    return filter_tokens(_jieba().cut(normalise(text)))


def petition_text(title: str, detail: str) -> str:
    return f"{title} {detail}"
