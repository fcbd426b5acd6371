from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from xinfang.triage.hotspots import (
    HotIssue,
    HotItem,
    cluster,
    growth_alerts,
    hot_issues,
    issue_score,
    place_keys,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT.parent / "shared" / "data" / "teddycup2020c"

NOISE = [
    (
        "翠湖花园小区楼下烧烤摊深夜噪音扰民",
        "翠湖花园小区一楼的烧烤摊每天营业到凌晨两点，噪音很大，吵得居民无法睡觉。",
    ),
    ("投诉翠湖花园烧烤店噪音", "翠湖花园楼下烧烤店深夜喧哗，噪音扰民严重，请城管处理。"),
    ("翠湖花园小区夜宵摊扰民", "我们翠湖花园小区底层的夜宵摊油烟和噪音太大，晚上根本睡不着。"),
    (
        "翠湖花园底层商铺凌晨还在营业噪音大",
        "翠湖花园小区底层商铺营业到凌晨，各种噪音，居民苦不堪言。",
    ),
]
UNRELATED = [
    ("咨询新生儿医保办理流程", "孩子刚出生，请问新生儿医保在哪里办理，需要准备哪些材料？"),
    ("建议增开机场大巴夜间班次", "晚上十一点以后没有机场大巴，建议增开夜间班次方便旅客。"),
    ("反映农村低保评定不公平", "我们村的低保名单里有干部亲属，真正困难的家庭却评不上。"),
    ("公积金贷款额度计算问题", "我想咨询一下公积金贷款额度是怎么计算的，为什么比预期低。"),
]


def items(rows: list[tuple[str, str]], *, start: int = 0, days_ago: int = 1) -> list[HotItem]:
    return [
        HotItem(
            id=start + i,
            title=t,
            text=x,
            created_at=NOW - timedelta(days=days_ago, hours=i),
            likes=i,
        )
        for i, (t, x) in enumerate(rows)
    ]


def test_place_keys_find_estates_and_roads() -> None:
    keys = place_keys("A5区劳动东路魅力之城小区临街门面烧烤夜宵摊")
    assert keys.estates == {"魅力之城"}
    assert keys.roads == {"劳动东路"}
    assert place_keys("A市经济学院强制学生实习").estates == {"经济学院"}


def test_place_keys_skip_descriptions() -> None:
    keys = place_keys("我们小区附近的道路导致小区居民出行困难，这个小区的城市管理很差")
    assert keys.estates == set()
    # 过街天桥 is a footbridge across a street, not a street named 增设过街.
    assert place_keys("建议在学校门口增设过街天桥").roads == set()
    assert place_keys("建议在劳动东路增设过街天桥").roads == {"劳动东路"}


def test_one_estates_noise_complaints_form_one_issue() -> None:
    found = hot_issues(items(NOISE) + items(UNRELATED, start=100), now=NOW)
    assert len(found) == 1
    issue = found[0]
    assert sorted(issue.ids) == [0, 1, 2, 3]
    assert issue.place == "翠湖花园"
    assert "噪音" in issue.label.split()
    assert issue.support == 0 + 1 + 2 + 3


def test_unrelated_petitions_stay_apart() -> None:
    groups = cluster(items(UNRELATED))
    assert sorted(map(len, groups)) == [1, 1, 1, 1]


def test_same_complaint_at_two_estates_is_two_issues() -> None:
    other = [
        (t.replace("翠湖花园", "金色家园"), x.replace("翠湖花园", "金色家园")) for t, x in NOISE
    ]
    found = hot_issues(items(NOISE) + items(other, start=10), now=NOW)
    assert sorted(sorted(h.ids) for h in found) == [[0, 1, 2, 3], [10, 11, 12, 13]]
    assert {h.place for h in found} == {"翠湖花园", "金色家园"}


def test_window_and_min_size() -> None:
    old = items(NOISE, days_ago=40)
    assert hot_issues(old, now=NOW) == []
    assert hot_issues(old, now=NOW, window_days=60)[0].size == 4
    assert hot_issues(items(NOISE), now=NOW, min_size=5) == []


def test_growth_counts_last_week_against_the_week_before() -> None:
    rows = NOISE + NOISE[:2]
    made = [
        HotItem(id=i, title=t, text=x, created_at=NOW - timedelta(days=d))
        for i, ((t, x), d) in enumerate(zip(rows, [1, 2, 3, 6, 9, 13], strict=True))
    ]
    (issue,) = hot_issues(made, now=NOW)
    assert (issue.size, issue.new, issue.previous) == (6, 4, 2)
    assert issue.growth == 2.0
    assert issue.score == pytest.approx(issue_score(size=6, support=0, new=4, previous=2), abs=1e-4)


def test_ranked_by_score() -> None:
    small = [
        (t.replace("翠湖花园", "金色家园"), x.replace("翠湖花园", "金色家园")) for t, x in NOISE[:3]
    ]
    found = hot_issues(items(NOISE) + items(small, start=10, days_ago=20), now=NOW)
    assert [h.size for h in found] == [4, 3]
    assert found[0].score > found[1].score


def issue(new: int, previous: int) -> HotIssue:
    return HotIssue((1,), "噪音", "翠湖花园", new + previous, new, previous, 0.0, 0, 0.0)


def test_growth_alerts() -> None:
    rising, steady, few, from_nothing = issue(6, 2), issue(4, 3), issue(2, 0), issue(3, 0)
    alerts = growth_alerts([rising, steady, few, from_nothing])
    assert alerts == [rising, from_nothing]
    assert growth_alerts([rising], ratio=4.0) == []
    assert growth_alerts([few], min_new=2) == [few]


def test_new_surge_raises_an_alert() -> None:
    made = [
        HotItem(id=i, title=t, text=x, created_at=NOW - timedelta(days=1, hours=i))
        for i, (t, x) in enumerate(NOISE)
    ]
    (found,) = hot_issues(made, now=NOW)
    assert growth_alerts([found]) == [found]


def test_conflicting_township_codes_split() -> None:
    made = [
        HotItem(
            id=i,
            title="小区门口道路积水严重",
            text="下雨后门口道路积水，出行困难",
            created_at=NOW - timedelta(days=1),
            region="430102001" if i < 3 else "430602003",
        )
        for i in range(6)
    ]
    groups = sorted(sorted(g) for g in cluster(made))
    assert groups == [[0, 1, 2], [3, 4, 5]]


@pytest.mark.skipif(not DATA.exists(), reason=f"shared data absent: {DATA}")
def test_gold_example_adjusted_rand_index() -> None:
    spec = importlib.util.spec_from_file_location(
        "bench_triage_hot_evaluate", ROOT / "bench" / "triage_hot" / "evaluate.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    example, gold = module.read_items(DATA / "hot_issue_example.csv")
    assert module.ari(example, gold, 0.42) >= 0.9
