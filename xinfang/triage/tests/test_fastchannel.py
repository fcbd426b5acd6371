"""Fast-channel rules measured on a labelled list written for the project (fast_cases.tsv)."""

from __future__ import annotations

from pathlib import Path

from xinfang.triage.fastchannel import FastKind, fast_detect

CASES = Path(__file__).with_name("fast_cases.tsv")


def labelled() -> list[tuple[str, str]]:
    rows = []
    for line in CASES.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            kind, text = line.split("\t", 1)
            rows.append((kind, text))
    return rows


def first_kind(text: str) -> str:
    signals = fast_detect(text)
    return signals[0].kind.value if signals else "none"


def scores() -> dict[str, tuple[float, float]]:
    """kind → (precision, recall) over the list, counting the most urgent kind found."""
    rows = [(expected, first_kind(text)) for expected, text in labelled()]
    result = {}
    for kind in FastKind:
        tp = sum(1 for e, p in rows if e == kind and p == kind)
        predicted = sum(1 for _, p in rows if p == kind)
        actual = sum(1 for e, _ in rows if e == kind)
        result[kind.value] = (tp / predicted if predicted else 0.0, tp / actual if actual else 0.0)
    return result


def test_the_list_covers_every_kind_and_hard_negatives() -> None:
    kinds = [k for k, _ in labelled()]
    assert {k.value for k in FastKind} <= set(kinds)
    assert kinds.count("none") >= 20


def test_precision_and_recall_per_kind() -> None:
    measured = scores()
    print({k: (round(p, 3), round(r, 3)) for k, (p, r) in measured.items()})
    for kind, (precision, recall) in measured.items():
        assert precision >= 0.9, (kind, precision)
        assert recall >= 0.9, (kind, recall)


def test_a_wage_rule_needs_both_a_wage_word_and_an_arrears_word() -> None:
    assert fast_detect("建议上调最低工资标准") == []
    [signal] = fast_detect("包工头拖欠工资半年")
    assert signal.kind == FastKind.WAGES
    assert signal.evidence == ("工资", "拖欠")


def test_the_most_urgent_kind_comes_first() -> None:
    signals = fast_detect("工地脚手架倒塌，工人受伤后工资也一直没发")
    assert [s.kind for s in signals] == [FastKind.SAFETY, FastKind.WAGES]
