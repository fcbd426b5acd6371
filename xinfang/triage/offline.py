"""Triage over a CSV export, in memory: reading, scoring, repeats and hot issues.

Shared by the management commands (``triage_evaluate``, ``triage_repeats``,
``triage_hot_issues``) and the bench scripts, which read files in the format of the Teddy Cup
2020 C data (留言编号, 留言用户, 留言主题, 留言时间, 留言详情, …). Nothing here touches the
database: the product's look-ups live in ``selectors``; these functions answer the same
questions for a whole file at once.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from xinfang.triage import matter, minhash
from xinfang.triage.hotspots import HotItem

ID, USER, TITLE, TIME, DETAIL = "留言编号", "留言用户", "留言主题", "留言时间", "留言详情"
MESSAGE_COLUMNS = (ID, USER, TITLE, TIME, DETAIL)
# Near-duplicate texts of different people (联名/群体): the default of selectors.similar_cases.
DUPLICATE = 0.5
# utf-8-sig reads plain UTF-8 too; GB18030 is what Excel in Chinese saves "CSV" as.
ENCODINGS = ("utf-8-sig", "gb18030")
TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M")
DATE_FORMATS = ("%Y/%m/%d", "%Y-%m-%d")
_NO_TIME = datetime(1, 1, 1)  # noqa: DTZ001  (a row without a time sorts first, by file order)


class DataError(ValueError):
    """The file cannot be used: unreadable, or a required column is missing."""


def csv_read(path: Path, *, required: Iterable[str] = ()) -> list[dict[str, str]]:
    """Rows of a CSV file as dicts (header names stripped); DataError when it is absent, not
    UTF-8 or GB18030, or lacks a `required` column."""
    if not path.is_file():
        raise DataError(f"no such file: {path}")
    for encoding in ENCODINGS:
        try:
            with path.open(encoding=encoding, newline="") as fh:
                reader = csv.DictReader(fh)
                header = [(name or "").strip() for name in reader.fieldnames or []]
                rows = [
                    {h: (v or "") for h, v in zip(header, row.values(), strict=False)}
                    for row in reader
                ]
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DataError(f"{path}: neither UTF-8 nor GB18030 text")
    missing = [c for c in required if c not in header]
    if missing:
        found = ", ".join(header)
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}; found {found}")
    return rows


def parse_time(raw: str) -> datetime:
    """The data's local times, as naive datetimes: ``2019/2/28 11:25:05``,
    ``2017-06-08 17:31:20``, without seconds, or a date alone."""
    raw = raw.strip()
    for fmt in TIME_FORMATS + DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt)  # noqa: DTZ007  (the data's local times)
        except ValueError:
            continue
    raise DataError(f"unparsed time {raw!r}")


def hot_items(rows: Iterable[dict[str, str]]) -> list[HotItem]:
    return [
        HotItem(
            id=row[ID].strip(),
            title=row[TITLE],
            text=row[DETAIL],
            created_at=parse_time(row[TIME]),
            likes=int(float(row.get("点赞数") or 0)),
        )
        for row in rows
    ]


def singletons(labels: Sequence[int | str]) -> list[str]:
    """-1 marks an item in no cluster: each becomes a cluster of its own (for the ARI)."""
    out = [str(g).strip() for g in labels]
    return [f"single-{i}" if g == "-1" else g for i, g in enumerate(out)]


def adjusted_rand(gold: Sequence[int | str], predicted: Sequence[int | str]) -> float:
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(singletons(gold), singletons(predicted)))


# --- classification ------------------------------------------------------------------------


def classification_scores(
    gold: Sequence[str], predicted: Sequence[str], classes: Sequence[str]
) -> dict[str, object]:
    """macro-F1 over the model's `classes`, accuracy over every row, F1 per class.

    A gold label that is not one of the classes can never be predicted: such a row counts as
    an error in the accuracy and as a false positive of the class it was given, and is counted
    in ``unknown_labels``; it adds no class of its own to the macro average.
    """
    from sklearn.metrics import f1_score

    if not gold:
        return {"n": 0, "macro_f1": 0.0, "accuracy": 0.0, "per_class": {}, "unknown_labels": 0}
    labels = list(classes)
    per_class = f1_score(gold, predicted, labels=labels, average=None, zero_division=0)
    known = set(labels)
    return {
        "n": len(gold),
        "macro_f1": round(float(np.mean(per_class)), 4),
        "accuracy": round(float(np.mean(np.array(gold) == np.array(predicted))), 4),
        "per_class": {c: round(float(f), 4) for c, f in zip(labels, per_class, strict=True)},
        "unknown_labels": sum(1 for g in gold if g not in known),
    }


# --- repeats and near-duplicates -------------------------------------------------------------


@dataclass
class Links:
    id: str
    repeat_of: list[str] = field(default_factory=list)
    similar: list[str] = field(default_factory=list)


def exact_jaccard(a: str, b: str) -> float:
    """The Jaccard index of two texts' shingle sets, computed exactly (what MinHash estimates)."""
    sa, sb = minhash.shingles(a), minhash.shingles(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def repeat_links(
    rows: Sequence[dict[str, str]],
    *,
    same_matter: float | None = None,
    duplicate: float = DUPLICATE,
    words: bool = True,
) -> list[Links]:
    """For each row (title + detail): earlier rows of the same user on the same matter
    (Jaccard estimate ≥ `same_matter`, by default matter.SAME_TEXT, or — with `words` —
    the rewritten follow-ups `matter.matter_reason` recognises; every earlier row of the user
    compared) and rows of other users with a near-identical text (LSH candidates, estimate ≥
    `duplicate`).

    A person's petitions are few, so all their pairs are compared and the lower threshold needs
    no LSH; across people, only texts sharing a band key are compared (minhash's S-curve finds
    ~87 % of pairs at J = 0.5, ~99 % at J ≥ 0.6). "Earlier" is by 留言时间, then file order.
    """
    if same_matter is None:
        same_matter = matter.SAME_TEXT
    sigs = [minhash.signature(f"{r[TITLE]}\n{r[DETAIL]}") for r in rows]
    order = [(_time_or_none(r[TIME]) or _NO_TIME, i) for i, r in enumerate(rows)]
    out = [Links(id=r[ID].strip()) for r in rows]
    by_user: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_user.setdefault(r[USER].strip(), []).append(i)
    texts: dict[int, matter.MatterText] = {}

    def text(i: int) -> matter.MatterText:  # only the users with several messages need it
        if i not in texts:
            texts[i] = matter.matter_text(rows[i][TITLE], rows[i][DETAIL])
        return texts[i]

    for members in by_user.values():
        for i in members:
            for j in members:
                a, b = sigs[i], sigs[j]
                if order[j] >= order[i] or a is None or b is None:
                    continue
                jaccard = minhash.jaccard_estimate(a, b)
                if jaccard >= same_matter or (
                    words and matter.matter_reason(text(i), text(j), jaccard=jaccard)
                ):
                    out[i].repeat_of.append(out[j].id)
    for i, j in _candidate_pairs(sigs):
        a, b = sigs[i], sigs[j]
        if rows[i][USER].strip() == rows[j][USER].strip() or a is None or b is None:
            continue
        if minhash.jaccard_estimate(a, b) >= duplicate:
            out[i].similar.append(out[j].id)
            out[j].similar.append(out[i].id)
    for links in out:
        links.similar.sort(key=_id_key)
    return out


def _candidate_pairs(sigs: Sequence[minhash.Signature | None]) -> set[tuple[int, int]]:
    buckets: dict[tuple[int, int], list[int]] = {}
    for i, sig in enumerate(sigs):
        if sig is not None:
            for key in minhash.band_keys(sig):
                buckets.setdefault(key, []).append(i)
    return {(a, b) for rows in buckets.values() for k, a in enumerate(rows) for b in rows[k + 1 :]}


def _time_or_none(raw: str) -> datetime | None:
    try:
        return parse_time(raw)
    except DataError:
        return None


def _id_key(value: str) -> tuple[int, int | str]:
    return (0, int(value)) if value.isdigit() else (1, value)
