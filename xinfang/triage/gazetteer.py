"""Gazetteer: the place of the problem (问题属地) named in a petition's free text.

Built from the Region table (province → city → county → township/street) with generated
aliases and short forms: 长沙市 → 长沙, 芙蓉区 → 芙蓉, 文艺路街道 → 文艺路 / 文艺路街道办,
湘西土家族苗族自治州 → 湘西 / 湘西州. Matching is a leftmost-longest scan over a dict of
surface forms keyed by first character, so a 500-character message costs a few hundred dict
look-ups (well under a millisecond).

Short forms are weaker evidence than full names: a surface that is some region's full name never
also means another region by short form; a short form that is also an everyday word (中和,
路口, 学士…) is not generated; and a short form directly followed by a road or building word
(芙蓉中路, 黄兴路) is not taken. A surface shared by several regions is resolved by the other
places in the text (a parent mentioned earlier first), else by the one candidate containing all
others (长沙 → the city rather than 长沙县), else reported ambiguous at their common ancestor.

One automaton per process and `within` prefix, held in `core.refcache`: it is rebuilt after the
cache's TTL and at once when `refcache.clear()` runs, which `orgs.services.region_load_divisions`
does after loading regions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

from xinfang.core import refcache

DATA_DIR = Path(__file__).resolve().parent / "data"

# Longest first: the first suffix that ends a name is the one stripped.
_SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "管理区",
    "示范区",
    "开发区",
    "新区",
    "林区",
    "地区",
    "街道",
    "办事处",
    "苏木",
    "省",
    "市",
    "区",
    "县",
    "旗",
    "盟",
    "镇",
    "乡",
)
# The ethnic groups named in autonomous areas (城步苗族自治县 → 城步), longest first.
_ETHNIC_TAIL = re.compile(
    "(?:(?:"
    "柯尔克孜|维吾尔|哈萨克|达斡尔|鄂温克|鄂伦春|塔吉克|"
    "塔塔尔|俄罗斯|土家|蒙古|朝鲜|布依|仡佬|纳西|仫佬|毛南|撒拉|锡伯|"
    "裕固|保安|东乡|哈尼|傈僳|拉祜|景颇|布朗|普米|独龙|基诺|德昂|阿昌|"
    "门巴|珞巴|苗|侗|瑶|回|壮|彝|藏|满|白|黎|傣|畲|水|羌|土|京|"
    "怒|佤|各"
    ")族)+$"
)


@cache
def common_words() -> frozenset[str]:
    """Stems that are everyday words or famous places elsewhere get no short form (see the
    file); read when the first gazetteer is built, not when the module is imported."""
    text = (DATA_DIR / "gazetteer_common_words.txt").read_text(encoding="utf-8")
    return frozenset(
        word for line in text.splitlines() if not line.startswith("#") for word in line.split()
    )


# A short form followed by one of these names a road, estate or building, not the division
# (芙蓉中路, 黄兴路步行街, 岳麓大道, 雨花小区).
_NOT_AFTER_SHORT = (
    "路",
    "街",
    "大道",
    "巷",
    "中路",
    "东路",
    "西路",
    "南路",
    "北路",
    "大街",
    "小区",
    "花园",
    "公园",
    "广场",
    "大厦",
    "中学",
    "小学",
    "学校",
    "大学",
    "学院",
    "医院",
    "酒店",
    "宾馆",
    "公司",
    "集团",
    "银行",
    "超市",
    "商场",
)

# Character variants people type for rare official characters (㮾梨街道 is written 榔梨).
_VARIANTS = str.maketrans({"㮾": "榔"})

# How much a surface says: the official name, a generated full form (湘西州, 文艺路街道办, the old
# 镇/街道 name of a renamed township), or a short form (芙蓉, 长沙).
_FULL, _ALIAS, _SHORT = 2, 1, 0
_TOWNSHIP_SUFFIXES = ("街道", "镇", "乡")

_CONF_EXACT = 0.9
_CONF_ALIAS = 0.85
_CONF_SHORT = 0.7
_TIER_CONFIDENCE = {_FULL: _CONF_EXACT, _ALIAS: _CONF_ALIAS, _SHORT: _CONF_SHORT}
_CONF_SHORT_TWO_CHARS = 0.1  # two characters are more often an ordinary word or another place
_CONF_CONTEXT = 0.65
_CONF_AMBIGUOUS = 0.3
_CONF_PER_SUPPORT = 0.05
_CONF_CONFLICT_PENALTY = 0.1


class RegionRow(NamedTuple):
    """What the gazetteer needs of a Region (pk, code, name, level, parent pk)."""

    pk: int
    code: str
    name: str
    level: int
    parent_pk: int | None


@dataclass(frozen=True, slots=True)
class Place:
    code: str
    name: str
    level: int


@dataclass(frozen=True, slots=True)
class Mention:
    """One place name found in the text: its span and the region it was read as."""

    start: int
    end: int
    surface: str
    code: str


@dataclass(frozen=True, slots=True)
class Location:
    """The most specific region found, the span that named it and the evidence for it.

    `chain` runs from the province down to this region. `mentions` are every span in the text
    that lies on the chain (e.g. 长沙市 and 芙蓉区 for 芙蓉区). `candidates` lists the codes an
    ambiguous surface could mean when nothing in the text decided; the region is then their
    nearest common ancestor and the confidence is low.
    """

    code: str
    name: str
    level: int
    start: int
    end: int
    surface: str
    chain: tuple[Place, ...]
    confidence: float
    mentions: tuple[Mention, ...] = ()
    candidates: tuple[str, ...] = ()


class _Hit(NamedTuple):
    start: int
    end: int
    surface: str
    regions: tuple[int, ...]
    tier: int


class _Reading(NamedTuple):
    hit: _Hit
    region: int
    ambiguous: bool  # context did not decide; region is the candidates' common ancestor
    by_context: bool


def _strip_ethnic(stem: str) -> str:
    return _ETHNIC_TAIL.sub("", stem)


def surface_forms(name: str, level: int = 0) -> Iterator[tuple[str, int]]:
    """(surface, tier) pairs for one division name: the name, the full-form aliases people use
    for it and its short form when that stem is distinctive enough."""
    forms = list(_forms(name, level))
    yield from forms
    for surface, tier in forms:
        variant = surface.translate(_VARIANTS)
        if variant != surface:
            yield variant, tier


def _forms(name: str, level: int) -> Iterator[tuple[str, int]]:
    # Two characters (南县, 道县) too easily sit inside other words (湖南县, 知道县) to be sure.
    yield name, _FULL if len(name) > 2 else _SHORT
    for suffix in _SUFFIXES:
        if not name.endswith(suffix) or len(name) == len(suffix):
            continue
        stem = name[: -len(suffix)]
        if suffix.startswith("自治") or suffix == "乡":
            bare = _strip_ethnic(stem)
            if bare != stem and len(bare) >= 2:
                yield bare + suffix[-1], _ALIAS  # 湘西州, 城步县, 某某乡 (民族乡)
                stem = bare
        if suffix == "街道":
            yield name + "办事处", _ALIAS
            yield name + "办", _ALIAS
        if level == 4 and suffix in _TOWNSHIP_SUFFIXES:
            # Townships are often renamed 镇 → 街道; petitioners keep writing the old name.
            yield from ((stem + other, _ALIAS) for other in _TOWNSHIP_SUFFIXES if other != suffix)
        if len(stem) >= 2 and stem not in common_words():
            yield stem, _SHORT
        return


class Gazetteer:
    """A compiled set of surface forms over one subtree of regions."""

    def __init__(self, rows: Iterable[RegionRow]) -> None:
        self._rows: list[RegionRow] = sorted(rows, key=lambda r: (r.level, r.code))
        index = {r.pk: i for i, r in enumerate(self._rows)}
        self._parent: list[int | None] = [
            index.get(r.parent_pk) if r.parent_pk is not None else None for r in self._rows
        ]
        self._ancestors: list[frozenset[int]] = [
            frozenset(self._chain(i)) for i in range(len(self._rows))
        ]
        self._table: dict[str, tuple[tuple[int, ...], int]] = {}
        self._lengths: dict[str, tuple[int, ...]] = {}
        self._compile()

    def __len__(self) -> int:
        return len(self._table)

    def _chain(self, i: int) -> list[int]:
        """Region i and its ancestors, province first."""
        chain: list[int] = []
        node: int | None = i
        while node is not None:
            chain.append(node)
            node = self._parent[node]
        chain.reverse()
        return chain

    def _forms_of(self, i: int) -> Iterator[tuple[str, int]]:
        row = self._rows[i]
        yield from surface_forms(row.name, row.level)
        parent = self._parent[i]
        # "岳阳市屈原管理区": people write the part after the parent's name.
        if parent is not None and row.level <= 3:
            pname = self._rows[parent].name
            rest = row.name[len(pname) :]
            if row.name.startswith(pname) and len(rest) >= 3:
                yield from surface_forms(rest, row.level)

    def _compile(self) -> None:
        # A surface means only the regions of its highest tier: a full name is never also read
        # as another region's alias or short form.
        best: dict[str, tuple[int, set[int]]] = {}
        for i in range(len(self._rows)):
            for surface, tier in self._forms_of(i):
                held = best.get(surface)
                if held is None or tier > held[0]:
                    best[surface] = (tier, {i})
                elif tier == held[0]:
                    held[1].add(i)
        self._table = {s: (tuple(sorted(rs)), tier) for s, (tier, rs) in best.items()}
        lengths: dict[str, set[int]] = {}
        for surface in self._table:
            lengths.setdefault(surface[0], set()).add(len(surface))
        self._lengths = {ch: tuple(sorted(ls, reverse=True)) for ch, ls in lengths.items()}

    def _scan(self, text: str) -> list[_Hit]:
        """Leftmost-longest, non-overlapping surface matches."""
        hits: list[_Hit] = []
        table, lengths = self._table, self._lengths
        i, n = 0, len(text)
        while i < n:
            hit = None
            for size in lengths.get(text[i], ()):
                if i + size > n:
                    continue
                surface = text[i : i + size]
                entry = table.get(surface)
                if entry is None:
                    continue
                # 梅溪湖路 is a road: neither 梅溪湖 nor the shorter 梅溪 inside it is a place.
                if entry[1] != _SHORT or not text.startswith(_NOT_AFTER_SHORT, i + size):
                    hit = _Hit(i, i + size, surface, entry[0], entry[1])
                break
            if hit is None:
                i += 1
            else:
                hits.append(hit)
                i = hit.end
        return hits

    def _related(self, a: int, b: int) -> bool:
        return a in self._ancestors[b] or b in self._ancestors[a]

    def _by_context(self, candidates: Sequence[int], context: Iterable[int]) -> int | None:
        """The one candidate on the same branch as the most context regions, if unique."""
        ctx = set(context)
        scores = [(sum(self._related(c, r) for r in ctx), c) for c in candidates]
        best = max(s for s, _ in scores)
        winners = [c for s, c in scores if s == best]
        return winners[0] if best > 0 and len(winners) == 1 else None

    def _common_ancestor(self, candidates: Sequence[int]) -> int | None:
        shared = frozenset.intersection(*(self._ancestors[c] for c in candidates))
        return max(shared, key=lambda i: self._rows[i].level, default=None)

    def _read(self, hits: Sequence[_Hit]) -> list[_Reading]:
        sure = [(h.start, h.regions[0]) for h in hits if len(h.regions) == 1]
        readings: list[_Reading] = []
        for hit in hits:
            if len(hit.regions) == 1:
                readings.append(_Reading(hit, hit.regions[0], False, False))
                continue
            earlier = [r for start, r in sure if start < hit.start]
            region = self._by_context(hit.regions, earlier)
            if region is None:
                region = self._by_context(hit.regions, (r for _, r in sure))
            if region is not None:
                readings.append(_Reading(hit, region, False, True))
                continue
            top = self._common_ancestor(hit.regions)
            if top in hit.regions:  # 长沙 = 长沙市 or 长沙县 inside it: the city is true either way
                readings.append(_Reading(hit, top, False, False))
            elif top is not None:
                readings.append(_Reading(hit, top, True, False))
        return readings

    def locate(self, text: str) -> Location | None:
        readings = self._read(self._scan(text))
        if not readings:
            return None
        found = {r.region for r in readings if not r.ambiguous}
        counts = Counter(r.region for r in readings)

        def support(r: _Reading) -> int:
            return len(found & self._ancestors[r.region])

        best = max(
            readings,
            key=lambda r: (
                not r.ambiguous,
                support(r),
                r.hit.tier,
                self._rows[r.region].level,
                counts[r.region],
                -r.hit.start,
            ),
        )
        conflict = any(not self._related(best.region, r) for r in found)
        return self._location(best, readings, support(best), conflict)

    def _location(
        self, best: _Reading, readings: Sequence[_Reading], support: int, conflict: bool
    ) -> Location:
        row = self._rows[best.region]
        chain_ids = self._ancestors[best.region]
        if best.ambiguous:
            confidence = _CONF_AMBIGUOUS
        else:
            base = _CONF_CONTEXT if best.by_context else _TIER_CONFIDENCE[best.hit.tier]
            if best.hit.tier == _SHORT and len(best.hit.surface) <= 2:
                base -= _CONF_SHORT_TWO_CHARS
            confidence = base + _CONF_PER_SUPPORT * (support - 1)
            confidence -= _CONF_CONFLICT_PENALTY if conflict else 0.0
        mentions = tuple(
            Mention(r.hit.start, r.hit.end, r.hit.surface, self._rows[r.region].code)
            for r in readings
            if not r.ambiguous and r.region in chain_ids
        )
        return Location(
            code=row.code,
            name=row.name,
            level=row.level,
            start=best.hit.start,
            end=best.hit.end,
            surface=best.hit.surface,
            chain=tuple(self._place(i) for i in self._chain(best.region)),
            confidence=round(min(0.99, max(0.05, confidence)), 2),
            mentions=mentions,
            candidates=tuple(self._rows[i].code for i in best.hit.regions)
            if best.ambiguous
            else (),
        )

    def _place(self, i: int) -> Place:
        row = self._rows[i]
        return Place(row.code, row.name, row.level)


def _load_rows(within: str) -> list[RegionRow]:
    from django.db.models import Q

    from xinfang.orgs.models import Region

    above = [within[:k] for k in (2, 4, 6) if k < len(within)]
    rows = Region.objects.filter(Q(prefix__startswith=within) | Q(prefix__in=above))
    return [RegionRow(*r) for r in rows.values_list("pk", "code", "name", "level", "parent_id")]


def gazetteer_get(*, within: str = "43") -> Gazetteer:
    """The process's gazetteer for regions under the division prefix `within` (built lazily)."""
    if not within.isdigit():
        raise ValueError(f"division prefix expected, got {within!r}")
    return refcache.cached("gazetteer", within, lambda: Gazetteer(_load_rows(within)))


def locate(text: str, *, within: str = "43") -> Location | None:
    """The most specific region the text names under `within`, or None when it names none."""
    if not text:
        return None
    return gazetteer_get(within=within).locate(text)


# Below this a reading is a guess (a shared street or village name, a lone short form).
SURE_CONFIDENCE = 0.5


def location_is_sure(loc: Location) -> bool:
    """Whether a channel may route by this reading: no competing place and not a guess. An
    ambiguous reading names a common ancestor (often the province), which would send the
    petition to the wrong bureau; channels ask again or fall back instead."""
    return not loc.candidates and loc.confidence >= SURE_CONFIDENCE


def locate_sure(text: str, *, within: str = "43") -> Location | None:
    """`locate`, but only a reading a channel may route by (`location_is_sure`)."""
    loc = locate(text, within=within)
    return loc if loc is not None and location_is_sure(loc) else None
