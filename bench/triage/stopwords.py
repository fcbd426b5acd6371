"""Derive the stop-word list the training file was filtered with, from the data itself.

Some messages of ``messages.csv`` / ``replies.csv`` are also (tokenised) rows of
``train_tokenized.csv``. Segmenting such a raw message with jieba and comparing with its
tokenised copy shows what was removed. A token is a stop word when it never occurs in the
training file and either (a) it was removed from such a pair, (b) it is a common dictionary
word (jieba frequency >= 1000) that the raw messages use often, or (c) it has no letter, digit or
CJK character (punctuation). Written to ``xinfang/triage/model/stopwords.txt``; the file holds
words of the language, not message text.
"""

from __future__ import annotations

import csv
import logging
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import jieba

from xinfang.triage.textnorm import STOPWORDS_PATH, normalise

PAIR_KEY_TOKENS = 8
COMMON_WORD_FREQ = 1000
MIN_RAW_COUNT = 5
# Artefacts of the export and of PII masking that the training file never keeps.
ALWAYS = ("_x000D_", "x000D", "_", "*")


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _has_word_char(token: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


def _raw_texts(data: Path) -> list[str]:
    rows = _read(data / "messages.csv") + _read(data / "replies.csv") + _read(data / "dev_raw.csv")
    return [normalise(f"{r['留言主题']} {r['留言详情']}") for r in rows]


def _dropped_in_pairs(
    segmented: Iterable[list[str]], train_rows: list[list[str]], vocab: set[str]
) -> set[str]:
    by_head = {tuple(toks[:PAIR_KEY_TOKENS]): toks for toks in train_rows}
    seen: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    for toks in segmented:
        head = tuple(t for t in toks if t in vocab)[:PAIR_KEY_TOKENS]
        twin = by_head.get(head)
        if twin is None:
            continue
        twin_set = set(twin)
        for t in toks:
            seen[t] += 1
            kept[t] += t in twin_set
    return {t for t in seen if kept[t] == 0}


def derive(data: Path) -> list[str]:
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    train_rows = [r["tokens"].split() for r in _read(data / "train_tokenized.csv")]
    vocab = {t for toks in train_rows for t in toks}
    segmented = [[t for t in tok.lcut(text) if t.strip()] for text in _raw_texts(data)]
    counts = Counter(t for toks in segmented for t in toks)
    dropped = _dropped_in_pairs(segmented, train_rows, vocab)
    stop = set(ALWAYS)
    for t, n in counts.items():
        if t in vocab:
            continue
        common = n >= MIN_RAW_COUNT and tok.FREQ.get(t, 0) >= COMMON_WORD_FREQ
        if t in dropped or common or not _has_word_char(t):
            stop.add(t)
    return sorted(stop)


def write(words: list[str], path: Path = STOPWORDS_PATH) -> None:
    header = (
        "# derived by bench/triage/train.py --derive-stopwords (see bench/triage/stopwords.py)\n"
    )
    path.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
