"""Fast channel detection (重点办、快速办、简易办, issue 4 §4).

Four kinds of matter that Hunan's system puts on a fast track: unpaid wages of migrant workers,
poverty alleviation, basic livelihood (water, power, gas, heating) and urgent safety hazards.
Each kind is a set of rules over word groups: a rule matches when the text has a word of every
group, all within a few characters of the first (so "工资改革的建议" or a passing "脱贫攻坚" in
a road proposal do not count). Rules are plain data so staff can read why a case was flagged;
the matched words come back as evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class FastKind(StrEnum):
    WAGES = "wages"  # 欠薪：拖欠农民工工资
    POVERTY = "poverty"  # 扶贫：脱贫攻坚、防止返贫
    LIVELIHOOD = "livelihood"  # 民生：水电气暖
    SAFETY = "safety"  # 紧急安全隐患


@dataclass(frozen=True)
class Rule:
    groups: tuple[tuple[str, ...], ...]
    window: int = (
        0  # characters around the first group's word the others must fall in; 0 = anywhere
    )


ARREARS = (
    "拖欠",
    "欠薪",
    "讨薪",
    "未发",
    "不发",
    "没发",
    "未付",
    "不付",
    "没给",
    "不给",
    "拿不到",
    "没拿到",
    "结清",
    "克扣",
    "欠我",
    "欠着",
    "欠了",
    "至今未",
    "一直没",
)
UTILITIES = (
    "停水",
    "断水",
    "没水",
    "停电",
    "断电",
    "没电",
    "停气",
    "断气",
    "供暖",
    "暖气",
    "供热",
    "自来水",
    "水压",
    "饮用水",
)
OUTAGE = (
    "停",
    "断",
    "没有",
    "不通",
    "不热",
    "不够",
    "太低",
    "中断",
    "故障",
    "浑浊",
    "发黄",
    "异味",
    "几天",
    "多日",
    "至今",
)
POOR = (
    "扶贫",
    "脱贫",
    "返贫",
    "贫困户",
    "建档立卡",
    "低保户",
    "五保户",
    "特困",
    "易地搬迁",
    "危房改造",
)
AID = (
    "补贴",
    "补助",
    "帮扶",
    "救助",
    "资金",
    "款",
    "政策",
    "评",
    "认定",
    "享受",
    "安置",
    "供养",
    "停工",
    "收入",
    "照看",
    "关心",
    "没有",
    "未",
    "截留",
)
ACUTE = (
    "坍塌",
    "垮塌",
    "倒塌",
    "起火",
    "着火",
    "燃气泄漏",
    "煤气泄漏",
    "漏电",
    "触电",
    "爆炸",
    "塌陷",
    "山体滑坡",
    "滑坡",
    "溺水",
    "高空坠物",
    "电线裸露",
    "井盖缺失",
    "没有井盖",
)
URGENT = ("随时", "紧急", "严重危及", "危及生命", "人员伤亡", "马上", "立即", "危险")

# kind → rules (any may match). Dict order = priority when several kinds match.
RULES: dict[FastKind, tuple[Rule, ...]] = {
    FastKind.SAFETY: (
        Rule((ACUTE,)),
        Rule((("危房",),)),
        Rule((("安全隐患", "隐患"), URGENT), window=20),
    ),
    FastKind.WAGES: (
        Rule((("工资", "工钱", "薪资", "薪水", "劳务费", "血汗钱", "辛苦钱"), ARREARS), window=15),
        Rule((("讨薪", "欠薪"),)),
    ),
    FastKind.POVERTY: (Rule((POOR, AID), window=15),),
    FastKind.LIVELIHOOD: (Rule((UTILITIES, OUTAGE), window=10),),
}
# Phrases that contain a kind's word without meaning it ("危房改造" is a poverty subsidy, not a
# house about to fall): removed from the text before that kind's rules are tried.
EXCLUDE: dict[FastKind, tuple[str, ...]] = {
    FastKind.SAFETY: ("危房改造",),
}

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class FastSignal:
    kind: FastKind
    evidence: tuple[str, ...]  # one matched word per group


def _normalise(text: str) -> str:
    return _SPACES.sub("", text.replace("\u3000", " ").replace("\xa0", " "))


def _positions(text: str, word: str) -> list[int]:
    found, start = [], text.find(word)
    while start != -1:
        found.append(start)
        start = text.find(word, start + 1)
    return found


def _near(text: str, group: tuple[str, ...], at: int, window: int) -> str | None:
    lo, hi = max(0, at - window), at + window
    span = text[lo:hi]
    return next((word for word in group if word in span), None)


def _match(text: str, rule: Rule) -> tuple[str, ...] | None:
    first, *others = rule.groups
    for word in first:
        for at in _positions(text, word):
            evidence = [word]
            for group in others:
                hit = (
                    _near(text, group, at, rule.window)
                    if rule.window
                    else next((w for w in group if w in text), None)
                )
                if hit is None:
                    break
                evidence.append(hit)
            else:
                return tuple(evidence)
    return None


def fast_detect(text: str) -> list[FastSignal]:
    """Every fast-channel kind the text matches, most urgent first, with the words that did."""
    clean = _normalise(text)
    signals = []
    for kind, rules in RULES.items():
        text_for_kind = clean
        for phrase in EXCLUDE.get(kind, ()):
            text_for_kind = text_for_kind.replace(phrase, "")
        evidence = next((e for r in rules if (e := _match(text_for_kind, r)) is not None), None)
        if evidence is not None:
            signals.append(FastSignal(kind, evidence))
    return signals
