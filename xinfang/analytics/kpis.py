"""The KPI registry: DOMAIN.md §8 K-1 … K-18 as data — labels in both languages, the formula
as the dashboard shows it, and which fact parts make its numerator and denominator.

The formulas themselves (what puts a case in a denominator, what makes it count in the
numerator) are applied per case in analytics.facts; here they are summed and divided.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from xinfang.core.errors import Msg


@dataclass(frozen=True)
class KpiDef:
    """One indicator. `num`/`den` name fact parts (models.PARTS): the rate is the sum of the
    numerator column of `num` over the sum of the denominator column of `den`. `kind` "count"
    indicators have no rate (督办件数). `higher_is_better` orients the assessment score."""

    id: str
    label: Msg
    formula: Msg
    num: str
    den: str
    kind: str = "rate"
    higher_is_better: bool = True
    available: bool = True
    note: Msg | None = None


def _k(id_: str, zh: str, en: str, fzh: str, fen: str, part: str, **kw: object) -> KpiDef:
    return KpiDef(id_, Msg(zh, en), Msg(fzh, fen), num=part, den=part, **kw)  # type: ignore[arg-type]


KPIS: dict[str, KpiDef] = {
    k.id: k
    for k in (
        _k("K1", "按时签收率", "On-time signing rate",
           "按时签收（受理）件数 ÷ 应签收件数（签收期限在期内；经同意的退单不计）",
           "signed within the limit ÷ dispatched items due for signing (agreed returns removed)",
           "k1"),
        _k("K2", "按时办结率", "On-time completion rate",
           "在最终期限（含批准延期）内答复或办结件数 ÷ 期内到期件数",
           "replied or closed within the final due time (after extensions) ÷ items due",
           "k2"),
        _k("K3", "办结率", "Completion rate",
           "已答复或办结件数 ÷ 期内到期件数", "replied or closed ÷ items due", "k3"),
        _k("K4", "响应率", "Response rate",
           "承办单位在告知期限内书面告知信访人件数 ÷ 转送交办件数",
           "lead unit's written notice to the petitioner within the notice limit ÷ dispatched",
           "k4"),
        _k("K5", "回访率", "Revisit rate",
           "已回访（含已记录的联系尝试）件数 ÷ 应回访件数（不满意评价，非匿名）",
           "revisited (incl. documented attempts) ÷ replies due for revisit (dissatisfied, "
           "not anonymous)",
           "k5"),
        _k("K6", "参评率", "Participation rate",
           "已评价 ÷ 应评价（应评价＝已评价＋超期未评价）",
           "rated ÷ due for rating (rated + rating window expired)", "k6"),
        KpiDef("K7", Msg("满意率", "Satisfaction rate"),
               Msg("口径A：（满意＋基本满意）÷已评价；B：满意÷已评价；C：（满意＋w×基本满意）÷已评价",
                   "A: (satisfied + basically) ÷ rated; B: satisfied ÷ rated; "
                   "C: (satisfied + w·basically) ÷ rated"),
               num="k7s", den="k7s"),
        _k("K8", "解决率", "Resolution rate",
           "回访确认已解决件数 ÷ 回访得到答复件数",
           "confirmed resolved at revisit ÷ revisits with an answer", "k8"),
        _k("K9", "重复信访率", "Repeat rate",
           "重复信访件数 ÷ 全部信访件数", "items flagged as repeats ÷ all items", "k9",
           higher_is_better=False),
        _k("K10", "退单率", "Return rate",
           "退回（异议）件数 ÷ 转送交办件数", "returned ÷ dispatched", "k10",
           higher_is_better=False),
        _k("K10b", "不合规退单率", "Rejected-return rate",
           "退回被驳回件数 ÷ 退回件数", "rejected returns ÷ returns", "k10b",
           higher_is_better=False),
        _k("K11", "重办率", "Re-handle rate",
           "重办件数 ÷ 已答复件数", "re-handled ÷ replied", "k11", higher_is_better=False),
        _k("K12", "超期率", "Overdue rate",
           "超期件数 ÷ 期内到期件数", "overdue ÷ items due", "k12", higher_is_better=False),
        _k("K12b", "督办件数", "Supervision orders",
           "期内发出的催办/督办/通报单数（分母：被督办件数）",
           "supervision orders issued (denominator: supervised items)", "k12b",
           kind="count", higher_is_better=False),
        _k("K13", "直办率", "Direct-answer rate",
           "登记机关当即答复办结件数 ÷ 登记件数", "answered at once by the registering organ ÷ "
           "registered", "k13"),
        _k("K14", "接通率", "Connection rate", "接通呼入 ÷ 呼入（24小时）",
           "answered calls ÷ inbound calls (24 h)", "", available=False,
           note=Msg("系统无话务记录，暂不可计算。", "No call records in this system.")),
        _k("K15", "15秒应答率", "15-second answer rate", "15秒内应答 ÷ 接通",
           "answered within 15 s ÷ answered", "", available=False,
           note=Msg("系统无话务记录，暂不可计算。", "No call records in this system.")),
        _k("K16", "按期告知率", "Timely notice rate",
           "收到后15日内书面告知件数 ÷ 应告知件数（非匿名）",
           "written notice within 15 days of receipt ÷ items requiring notice (not anonymous)",
           "k16"),
        _k("K17", "按期办结率（60日）", "Statutory on-time rate (60 days)",
           "60日（含批准延期）内出具处理意见书件数 ÷ 期内到期的申诉求决件数",
           "opinion issued within 60 days (+ approved extension) ÷ appeal items due", "k17"),
        _k("K18", "复查复核申请率", "Re-examination request rate",
           "申请复查或复核件数 ÷ 出具意见书件数", "复查/复核 requested ÷ opinions issued", "k18",
           higher_is_better=False),
        _k("K18b", "复查改变率", "Changed-on-review rate",
           "复查/复核改变或撤销原意见件数 ÷ 已作出复查/复核决定件数",
           "decisions revising or revoking the opinion ÷ decisions", "k18b",
           higher_is_better=False),
    )
}  # fmt: skip

# The indicators that can be computed here (K-14/K-15 need call records: not available).
KPI_IDS: tuple[str, ...] = tuple(k for k, d in KPIS.items() if d.available)

# A KPI id (as an exclusion may name it) → the fact parts it takes a case out of.
EXCLUSION_PARTS: dict[str, tuple[str, ...]] = {
    **{k: (d.num,) for k, d in KPIS.items() if d.available},
    "K7": ("k7s", "k7b"),
}


def satisfaction_variant() -> tuple[str, float]:
    """The configured K-7 variant and the weight of 基本满意 for variant C."""
    return (
        str(getattr(settings, "XINFANG_KPI_SATISFACTION_VARIANT", "A")),
        float(getattr(settings, "XINFANG_KPI_BASIC_WEIGHT", 0.8)),
    )


def kpi_rate(
    kpi: str, sums: Mapping[str, Any], *, variant: str = "A", basic_weight: float = 0.8
) -> tuple[int, int, float | None]:
    """(numerator, denominator, rate) of one KPI from summed rollup columns
    (`<part>_num`, `<part>_den`). K-7 applies the satisfaction variant."""
    d = KPIS[kpi]
    if not d.available:
        return 0, 0, None
    den = int(sums.get(f"{d.den}_den", 0) or 0)
    if kpi == "K7":
        sat = int(sums.get("k7s_num", 0) or 0)
        basic = int(sums.get("k7b_num", 0) or 0)
        if variant == "B":
            num, weighted = sat, float(sat)
        elif variant == "C":
            num, weighted = sat + basic, sat + basic_weight * basic
        else:
            num, weighted = sat + basic, float(sat + basic)
        return num, den, (weighted / den if den else None)
    num = int(sums.get(f"{d.num}_num", 0) or 0)
    if d.kind == "count":
        return num, den, None
    return num, den, (num / den if den else None)


def rate_text(rate: float | None, digits: int = 1) -> str:
    """A rate as pages print it: "93.4%" (the report: two digits), "—" without a denominator."""
    return "—" if rate is None else f"{rate * 100:.{digits}f}%"
