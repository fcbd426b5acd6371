"""Same-user repeat petitions on `messages.csv`: precision and recall estimated from hand labels.

    .venv/bin/python bench/triage_repeat/evaluate_same_user.py [--data …/messages.csv] [--show N]

Runs `offline.repeat_links` (what `manage.py triage_repeats` prints) with and without the
rewritten-follow-up test (`xinfang.triage.matter`), lists every pair of messages by one user,
and splits them into strata: linked by the 3-gram test, linked only by `matter`, not linked.
Each stratum's share of same-matter pairs comes from the hand labels in labels.csv (sample 1:
`repeat`, sample 2: `words_link`, `same_user_unlinked_2`), so

    recall ≈ (linked₃ · p₃ + linked_words · p_words) / (that + unlinked · p_unlinked)

Only labelled pairs that fall in a stratum today count for it (`labelled` gives how many).
`--show N` prints N random pairs (random.Random(23)) of the two newer strata on stderr for a
new round of labels: texts go to the terminal only, never to a file. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from xinfang.triage.offline import (  # noqa: E402  (needs ROOT on sys.path)
    DETAIL,
    ID,
    MESSAGE_COLUMNS,
    TITLE,
    USER,
    csv_read,
    repeat_links,
)

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "teddycup2020c" / "messages.csv"
LABELS = Path(__file__).resolve().parent / "labels.csv"
Pair = tuple[str, str]


def user_pairs(rows: list[dict[str, str]]) -> list[Pair]:
    """Every pair of one user's messages, users in order of first appearance."""
    by_user: dict[str, list[str]] = {}
    for r in rows:
        by_user.setdefault(r[USER].strip(), []).append(r[ID].strip())
    return [
        (m[x], m[y]) for m in by_user.values() for x in range(len(m)) for y in range(x + 1, len(m))
    ]


def linked_pairs(rows: list[dict[str, str]], *, words: bool) -> set[frozenset[str]]:
    return {frozenset((x.id, e)) for x in repeat_links(rows, words=words) for e in x.repeat_of}


def labels() -> list[tuple[str, Pair, int]]:
    out = []
    with LABELS.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(("#", "kind")) or not line.strip():
                continue
            kind, a, b, same = line.strip().split(",")
            out.append((kind, (a, b), int(same)))
    return out


def stratum_share(labelled: list[tuple[str, Pair, int]], members: set[frozenset[str]]) -> list[int]:
    """The labels of the labelled same-user pairs that fall in a stratum today (a sample
    drawn from an earlier output may have a few pairs that moved)."""
    return [
        same for kind, pair, same in labelled if kind != "similar" and frozenset(pair) in members
    ]


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--show", type=int, default=0)
    args = p.parse_args()
    rows = csv_read(args.data, required=MESSAGE_COLUMNS)
    pairs = user_pairs(rows)
    by_3gram = linked_pairs(rows, words=False)
    by_any = linked_pairs(rows, words=True)
    words_only = [pr for pr in pairs if frozenset(pr) in by_any - by_3gram]
    unlinked = [pr for pr in pairs if frozenset(pr) not in by_any]
    if args.show:
        show(rows, words_only, unlinked, args.show)
    lab = labels()
    in_3gram = stratum_share(lab, {frozenset(pr) for pr in pairs} & by_3gram)
    in_words = stratum_share(lab, {frozenset(pr) for pr in words_only})
    in_unlinked = stratum_share(lab, {frozenset(pr) for pr in unlinked})
    p3, pw, pu = (sum(x) / len(x) for x in (in_3gram, in_words, in_unlinked))
    n3 = sum(1 for pr in pairs if frozenset(pr) in by_3gram)
    found = n3 * p3 + len(words_only) * pw
    low, high = wilson(sum(in_unlinked), len(in_unlinked))
    figures = {
        "same_user_pairs": len(pairs),
        "linked_3gram": n3,
        "linked_words_only": len(words_only),
        "unlinked": len(unlinked),
        "labelled": [len(in_3gram), len(in_words), len(in_unlinked)],
        "precision_3gram": round(p3, 3),
        "precision_words_only": round(pw, 3),
        "precision": round(found / (n3 + len(words_only)), 3),
        "recall": round(found / (found + len(unlinked) * pu), 3),
        "recall_range_95": [
            round(found / (found + len(unlinked) * high), 2),
            round(found / (found + len(unlinked) * low), 2),
        ],
        "recall_3gram_only": round(n3 * p3 / (found + len(unlinked) * pu), 3),
    }
    print(json.dumps(figures, ensure_ascii=False))


def show(rows: list[dict[str, str]], words_only: list[Pair], unlinked: list[Pair], n: int) -> None:
    text = {r[ID].strip(): r for r in rows}
    for name, pool in (("words_link", list(words_only)), ("same_user_unlinked_2", list(unlinked))):
        random.Random(23).shuffle(pool)
        for k, (a, b) in enumerate(pool[:n]):
            print(f"# {name} {k}: {a},{b}", file=sys.stderr)
            for i in (a, b):
                body = " ".join(text[i][DETAIL].split())[:60]
                print(f"  {text[i][TITLE]} | {body}", file=sys.stderr)


if __name__ == "__main__":
    main()
