"""Redaction on the written corpus: every line as expected, per-class recall and precision."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from xinfang.board.redaction import CLASSES, placeholder_counts, redact

CORPUS = Path(__file__).with_name("redaction_corpus.tsv")


@dataclass(frozen=True)
class Line:
    number: int
    text: str
    expected: str
    names: tuple[str, ...]


def corpus() -> list[Line]:
    lines = []
    for number, raw in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = raw.split("\t")
        names = tuple(n for n in parts[2].split(",") if n) if len(parts) > 2 else ()
        lines.append(Line(number, parts[0], parts[1], names))
    return lines


def scores() -> dict[str, tuple[float, float, int]]:
    """Per class: (precision, recall, expected count), counting placeholders line by line."""
    tp = dict.fromkeys(CLASSES, 0)
    fp = dict.fromkeys(CLASSES, 0)
    fn = dict.fromkeys(CLASSES, 0)
    for line in corpus():
        got = redact(line.text, known_names=line.names).counts
        want = placeholder_counts(line.expected)
        for cls in CLASSES:
            g, w = got.get(cls, 0), want.get(cls, 0)
            tp[cls] += min(g, w)
            fp[cls] += max(0, g - w)
            fn[cls] += max(0, w - g)
    return {
        c: (
            tp[c] / (tp[c] + fp[c]) if tp[c] + fp[c] else 1.0,
            tp[c] / (tp[c] + fn[c]) if tp[c] + fn[c] else 1.0,
            tp[c] + fn[c],
        )
        for c in CLASSES
    }


def test_the_corpus_is_big_enough_and_covers_every_class() -> None:
    lines = corpus()
    assert len(lines) >= 60
    covered = set()
    for line in lines:
        covered |= set(placeholder_counts(line.expected))
    assert covered == set(CLASSES)
    negatives = [line for line in lines if line.text == line.expected]
    assert len(negatives) >= 20  # dates, amounts, rooms, case and article numbers, 12345 …


@pytest.mark.parametrize("line", corpus(), ids=lambda line: f"line{line.number}")
def test_corpus_line(line: Line) -> None:
    result = redact(line.text, known_names=line.names)
    assert result.text == line.expected
    assert result.counts == placeholder_counts(line.expected)


def test_every_class_fully_recalled_and_precise_on_the_corpus() -> None:
    for cls, (precision, recall, n) in scores().items():
        assert n >= 3, cls
        assert (precision, recall) == (1.0, 1.0), cls


def test_redacting_twice_finds_nothing_more() -> None:
    for line in corpus():
        once = redact(line.text, known_names=line.names)
        again = redact(once.text, known_names=line.names)
        assert (again.text, again.counts) == (once.text, {})


def test_known_names_longest_first_and_never_echoed() -> None:
    result = redact("欧阳明月和欧阳明都来了", known_names=["欧阳明", "欧阳明月", " ", "李"])
    assert result.text == "[姓名]和[姓名]都来了"
    assert result.counts == {"name": 2}
    assert "欧阳" not in repr(result)


def test_a_card_number_with_a_bad_checksum_stays_only_without_any_sign_of_a_card() -> None:
    assert redact("订单号1234567812345678").text == "订单号1234567812345678"
    assert redact("银行卡号1234567812345678").text == "银行卡号[银行卡号]"
    assert redact("卡号：1234 5678 1234 5678").text == "卡号：[银行卡号]"
