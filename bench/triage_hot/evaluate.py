"""Hot-issue clustering on the Teddy Cup 2020 C data (shared, not in the repository).

    .venv/bin/python bench/triage_hot/evaluate.py [--data ../shared/data/teddycup2020c]
        [--link 0.42] [--top 10] [--window-days 30] [--titles]

1. Adjusted Rand index of `hotspots.cluster` against `hot_issue_example.csv`'s
   `cluster_derived` (-1 = a singleton: each gets its own cluster).
2. `hot_issues` over all of `messages.csv` (window: every message, `now` = the newest one) and
   over the last `--window-days` before the newest message; the top `--top` clusters by score
   with size, new/previous week, likes, label terms and place key. `--titles` also prints up
   to three member titles per cluster on stderr (the terminal only: the data's licence forbids
   copying message texts into the project).

Prints one JSON line on stdout; progress on stderr. Exits 2 when the data is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from xinfang.triage.hotspots import (  # noqa: E402  (needs ROOT on sys.path)
    LINK_SIMILARITY,
    HotIssue,
    HotItem,
    cluster,
    growth_alerts,
    hot_issues,
)
from xinfang.triage.offline import (  # noqa: E402
    DETAIL,
    ID,
    TIME,
    TITLE,
    adjusted_rand,
    csv_read,
    hot_items,
)

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "teddycup2020c"


def read_items(path: Path) -> tuple[list[HotItem], list[str]]:
    rows = csv_read(path, required=(ID, TITLE, TIME, DETAIL))
    return hot_items(rows), [row.get("cluster_derived", "") for row in rows]


def ari(items: list[HotItem], gold: list[str], link: float) -> float:
    predicted = [0] * len(items)
    for label, rows in enumerate(cluster(items, link=link)):
        for i in rows:
            predicted[i] = label
    return adjusted_rand(gold, predicted)


def summary(issue: HotIssue) -> dict[str, object]:
    return {
        "size": issue.size,
        "new": issue.new,
        "previous": issue.previous,
        "support": issue.support,
        "score": issue.score,
        "label": issue.label,
        "place": issue.place,
    }


def show_titles(name: str, issues: list[HotIssue], by_id: dict[str, HotItem]) -> None:
    print(f"== {name}", file=sys.stderr)
    for rank, issue in enumerate(issues, 1):
        print(f"{rank:2d}. size {issue.size} [{issue.place}] {issue.label}", file=sys.stderr)
        for i in issue.ids[:3]:
            print(f"      {by_id[str(i)].title}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--link", type=float, default=LINK_SIMILARITY)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--window-days", type=int, default=30)
    parser.add_argument("--titles", action="store_true")
    args = parser.parse_args()
    example, messages = args.data / "hot_issue_example.csv", args.data / "messages.csv"
    if not (example.exists() and messages.exists()):
        print(f"data absent: {args.data}", file=sys.stderr)
        return 2

    items, gold = read_items(example)
    example_ari = ari(items, gold, args.link)
    print(f"example ARI {example_ari:.3f}", file=sys.stderr)

    corpus, _ = read_items(messages)
    now = max(it.created_at for it in corpus)
    t0 = time.perf_counter()
    everything = hot_issues(corpus, now=now, window_days=100_000, min_size=3, link=args.link)
    all_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    window = hot_issues(corpus, now=now, window_days=args.window_days, link=args.link)
    window_s = time.perf_counter() - t0
    if args.titles:
        by_id = {str(it.id): it for it in corpus}
        show_titles("all messages", everything[: args.top], by_id)
        show_titles(f"last {args.window_days} days", window[: args.top], by_id)
    in_window = sum(1 for it in corpus if (now - it.created_at).days < args.window_days)
    result = {
        "example_ari": round(example_ari, 4),
        "link": args.link,
        "messages": len(corpus),
        "all_clusters_ge3": len(everything),
        "all_clustered_messages": sum(h.size for h in everything),
        "all_seconds": round(all_s, 2),
        "all_top": [summary(h) for h in everything[: args.top]],
        "window_days": args.window_days,
        "window_messages": in_window,
        "window_clusters_ge3": len(window),
        "window_seconds": round(window_s, 2),
        "window_top": [summary(h) for h in window[: args.top]],
        "window_alerts": len(growth_alerts(window)),
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
