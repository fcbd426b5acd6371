"""Hot issues (热点问题, DESIGN.md §4): recent petitions about one matter at one place.

A batch job, not a per-petition step: the whole window (30 days by default) is clustered at
once, so scikit-learn is used at run time here.

Each petition becomes a TF-IDF vector of its jieba tokens (the title counted twice: it names
the matter) plus *place keys* read from the text: named estates and institutions
(魅力之城小区 → 魅力之城, A市经济学院 → 经济学院) are strong keys, roads (劳动东路) weak ones. The
data this was built on anonymises cities and districts (A市, A5区) but keeps estate and street
names, and those are what tell one housing estate's noise complaints from another's.

Two petitions' similarity is the cosine of their vectors, raised when they share a place key
and lowered when both name estates and none agree (the same complaint about two estates is
two issues). Average-linkage agglomerative clustering cuts the tree at LINK_SIMILARITY, so a
cluster needs either a shared place and a related text or, without a place, a very similar
text. Average rather than single linkage: one message naming two estates must not chain two
estates' clusters together.

Ranking: score = ln(1 + size) + 0.5·ln(1 + likes) + ln(1 + max(0, new − previous)), where
`new` counts the cluster's petitions of the last 7 days and `previous` those of the 7 before.
Size dominates, public support and a rising trend lift a cluster. `growth_alerts` flags
clusters with at least `min_new` new petitions and at least `ratio` times the previous week.

Cost: the pairwise matrices are dense, O(n²) in time and memory: all 4,304 messages of the
data take ~20 s (most of it jieba) and a few hundred MB; a 30-day window of them (127) 0.2 s.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from xinfang.triage import textnorm

WEEK = timedelta(days=7)
LINK_SIMILARITY = 0.42  # average similarity at which two clusters merge
PLACE_BONUS = 0.35  # a shared estate/institution key
ROAD_BONUS = 0.12  # a shared road: a road is long and passes many estates
PLACE_CONFLICT = 0.25  # both name estates, none shared: another place, another issue
TOWNSHIP_CONFLICT = 1.0  # two townships are two places, whatever the text
TOP_TERMS = 5
TITLE_WEIGHT = 0.5  # the title states the matter; the body adds detail and noise

# Named places whose suffix says "a building complex or institution" (longest first).
_ESTATE_SUFFIXES = (
    "小区",
    "花园",
    "公寓",
    "家园",
    "广场",
    "大厦",
    "新村",
    "山庄",
    "公馆",
    "华府",
    "华庭",
    "学院",
    "大学",
    "中学",
    "小学",
    "幼儿园",
    "医院",
    "商城",
    "市场",
    "苑",
    "城",
)
_ROAD_SUFFIXES = ("大道", "路", "街")
# The name before a suffix starts after the last of these: an administrative unit, a road, a
# building number or a function word ends the preceding phrase.
_BOUNDARY = set("省市区县镇乡村路街道号栋楼的在了和与及是对于把被从向请为到因称等")
# A stem with any of these is a description (这个小区, 我们小区), not a name.
_NOT_NAME = set("这那该本我你他她们此每各个些所某整全新老该附周边")
_NAME_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_ESTATE = re.compile("|".join(_ESTATE_SUFFIXES))
_ROAD = re.compile("|".join(_ROAD_SUFFIXES))
_GENERIC_TAIL = ("小区",)  # 魅力之城小区 and 魅力之城 are one place
_ANON = re.compile(r"^[A-Z]\d*[市区县]?$")  # A市, A5区: anonymised, say nothing
MAX_STEM = 8
_LEADS = (
    "投诉",
    "举报",
    "反映",
    "关于",
    "商品房",
    "楼盘",
    "位于",
    "导致",
    "目前",
    "严重影响",
    "影响",
)
# Words found before 小区/城/路 in the data that describe rather than name (导致小区…).
_NOT_ESTATE = frozenset(
    (
        "安置",
        "住宅",
        "居民",
        "造成",
        "配套",
        "随着",
        "开展",
        "文明",
        "卫生",
        "保障",
        "拆迁",
        "还建",
        "回迁",
        "商品",
        "老旧",
        "开放式",
        "高档",
        "物业",
        "业主",
        "所在",
        "门口",
        "旁边",
        "对面",
        "里面",
        "内部",
        "附近",
        "周边",
        "进入",
        "进城",
        "整个",
        "多个",
        "一个",
        "两个",
        "同一",
    )
)
# Road-like words that are not road names (公交线路, 必经之路).
_NOT_ROAD = frozenset(
    (
        "公交线",
        "必经之",
        "十字",
        "快速",
        "马",
        "道",
        "公",
        "出",
        "走",
        "修",
        "铁",
        "线",
        "网",
        "思",
        "生",
        "门",
        "同",
    )
)
_NOT_AFTER_CITY = set("市乡管区镇建际轨铁中墙")


@dataclass(frozen=True, slots=True)
class HotItem:
    """One petition of the window. `region` is the most specific division code known for it
    (from the gazetteer or the form); a township-level code (9+ digits) counts as a place."""

    id: int | str
    text: str
    created_at: datetime
    likes: int = 0
    title: str = ""
    region: str = ""


@dataclass(frozen=True, slots=True)
class HotIssue:
    ids: tuple[int | str, ...]
    label: str  # top terms, space-separated
    place: str  # the most common place key, "" when none
    size: int
    new: int  # petitions of the last 7 days
    previous: int  # petitions of the 7 days before
    growth: float  # new / max(previous, 1)
    support: int  # likes summed
    score: float


@dataclass(frozen=True, slots=True)
class PlaceKeys:
    estates: frozenset[str]
    roads: frozenset[str]


def _stem_before(text: str, end: int) -> str:
    start = end
    while start > 0 and end - start < MAX_STEM and _NAME_CHAR.match(text[start - 1]):
        if text[start - 1] in _BOUNDARY:
            break
        start -= 1
    stem = text[start:end]
    # 投诉伊景园滨河苑, 导致小区: a verb or a description glued before the name is not part of it.
    for lead in _LEADS:
        if stem.startswith(lead):
            stem = stem[len(lead) :]
    return stem


def _names(text: str, pattern: re.Pattern[str], *, stop: frozenset[str]) -> set[str]:
    found = set()
    for m in pattern.finditer(text):
        if m.group() == "城" and text[m.end() : m.end() + 1] in _NOT_AFTER_CITY:
            continue  # 文明城市, 城乡, 城管: the word 城, not a name ending in it
        stem = _stem_before(text, m.start())
        if len(stem) < 2 or stem in stop or _ANON.match(stem) or _NOT_NAME & set(stem):
            continue
        if m.group() == "街" and stem.endswith("过"):
            continue  # 过街天桥, 过街设施: crossing a street, not a street's name
        found.add(stem if m.group() in _GENERIC_TAIL else stem + m.group())
    return found


def place_keys(text: str) -> PlaceKeys:
    """Estate/institution and road names the text mentions (魅力之城, 经济学院; 劳动东路)."""
    text = unicodedata.normalize("NFKC", textnorm.normalise(text))
    return PlaceKeys(
        estates=frozenset(_names(text, _ESTATE, stop=_NOT_ESTATE)),
        roads=frozenset(_names(text, _ROAD, stop=_NOT_ROAD)),
    )


def _tokens(item: HotItem, *, body: bool = True) -> list[str]:
    words = textnorm.tokenize(item.title) * 2
    if body:
        words += textnorm.tokenize(item.text)
    return [w for w in words if len(w) > 1 and not _ANON.match(w)]


def _vectors(docs: list[list[str]]) -> tuple[npt.NDArray[np.float64], list[str]]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True, min_df=1)
    matrix = vec.fit_transform(docs)
    return np.asarray(matrix.toarray(), dtype=np.float64), list(vec.get_feature_names_out())


def _roots(keys: list[frozenset[str]]) -> list[set[str]]:
    # 万科魅力之城 and 魅力之城 are one estate: a key also stands for every other key of the
    # window (3+ characters) that it contains.
    vocab = set().union(*keys)
    out = []
    for ks in keys:
        roots = set(ks)
        for k in ks:
            roots.update(
                k[i:j] for i in range(len(k)) for j in range(i + 3, len(k) + 1) if k[i:j] in vocab
            )
        out.append(roots)
    return out


def _shared(roots: list[set[str]]) -> npt.NDArray[np.bool_]:
    n = len(roots)
    by_root: dict[str, list[int]] = {}
    for i, rs in enumerate(roots):
        for r in rs:
            by_root.setdefault(r, []).append(i)
    shared = np.zeros((n, n), dtype=bool)
    for rows in by_root.values():
        if len(rows) > 1:
            shared[np.ix_(rows, rows)] = True
    return shared


def _similarity(items: Sequence[HotItem]) -> npt.NDArray[np.float64]:
    """Text cosine (title and whole petition), adjusted for shared or conflicting places."""
    titles, _ = _vectors([_tokens(it, body=False) for it in items])
    whole, _ = _vectors([_tokens(it) for it in items])
    sim = TITLE_WEIGHT * (titles @ titles.T) + (1 - TITLE_WEIGHT) * (whole @ whole.T)
    keys = [place_keys(f"{it.title} {it.text}") for it in items]
    title_estates = np.array([bool(place_keys(it.title).estates) for it in items])
    same_estate = _shared(_roots([k.estates for k in keys]))
    same_road = _shared(_roots([k.roads for k in keys]))
    # Both titles name an estate and no estate is shared: two places.
    conflict = np.outer(title_estates, title_estates) & ~same_estate
    sim += PLACE_BONUS * same_estate + ROAD_BONUS * (same_road & ~same_estate)
    sim -= PLACE_CONFLICT * conflict
    township = np.array([it.region if len(it.region) >= 9 else "" for it in items])
    known = township != ""
    sim -= TOWNSHIP_CONFLICT * (np.outer(known, known) & (township[:, None] != township[None, :]))
    return sim


def cluster(items: Sequence[HotItem], *, link: float = LINK_SIMILARITY) -> list[list[int]]:
    """Indices of `items` grouped by issue (every item in exactly one group)."""
    return _cluster(items, link)


def _cluster(items: Sequence[HotItem], link: float) -> list[list[int]]:
    if len(items) < 2:
        return [[0]] if items else []
    from sklearn.cluster import AgglomerativeClustering

    distance = np.clip(1.0 - _similarity(items), 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    labels = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=1.0 - link,
    ).fit_predict(distance)
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    return list(groups.values())


def _label(rows: list[int], dense: npt.NDArray[np.float64], terms: list[str]) -> str:
    centroid = dense[rows].mean(axis=0)
    top = np.argsort(-centroid, kind="stable")[:TOP_TERMS]
    return " ".join(terms[i] for i in top if centroid[i] > 0)


def _place(members: Sequence[HotItem]) -> str:
    counts: Counter[str] = Counter()
    for it in members:
        # The title names the place the petition is about; the body names landmarks too.
        k = place_keys(it.title)
        if not (k.estates or k.roads):
            k = place_keys(it.text)
        counts.update(k.estates or k.roads)
    if not counts:
        return ""
    top, c = counts.most_common(1)[0]
    return top if c * 2 >= len(members) else ""


def issue_score(*, size: int, support: int, new: int, previous: int) -> float:
    return math.log1p(size) + 0.5 * math.log1p(max(support, 0)) + math.log1p(max(new - previous, 0))


def _issue(members: list[HotItem], label: str, now: datetime) -> HotIssue:
    new = sum(1 for it in members if now - WEEK < it.created_at <= now)
    previous = sum(1 for it in members if now - 2 * WEEK < it.created_at <= now - WEEK)
    support = sum(max(it.likes, 0) for it in members)
    ordered = sorted(members, key=lambda it: it.created_at)
    return HotIssue(
        ids=tuple(it.id for it in ordered),
        label=label,
        place=_place(members),
        size=len(members),
        new=new,
        previous=previous,
        growth=new / max(previous, 1),
        support=support,
        score=round(issue_score(size=len(members), support=support, new=new, previous=previous), 4),
    )


def hot_issues(
    items: Sequence[HotItem],
    *,
    now: datetime,
    window_days: int = 30,
    min_size: int = 3,
    link: float = LINK_SIMILARITY,
) -> list[HotIssue]:
    """Clusters of at least `min_size` petitions created in the `window_days` before `now`,
    best score first."""
    start = now - timedelta(days=window_days)
    recent = [it for it in items if start < it.created_at <= now]
    if len(recent) < min_size:
        return []
    dense, terms = _vectors([_tokens(it) for it in recent])
    issues = [
        _issue([recent[i] for i in rows], _label(rows, dense, terms), now)
        for rows in _cluster(recent, link)
        if len(rows) >= min_size
    ]
    return sorted(issues, key=lambda h: (-h.score, -h.size, str(h.ids[0])))


def growth_alerts(
    issues: Iterable[HotIssue], *, min_new: int = 3, ratio: float = 2.0
) -> list[HotIssue]:
    """Issues growing fast: at least `min_new` petitions this week and at least `ratio` times
    last week's count."""
    return [h for h in issues if h.new >= min_new and h.new >= ratio * h.previous]
