"""A hand-built set of petitions driven through the real workflow services on fixed dates,
for checking every KPI against figures worked out by hand (see test_kpi_formulas.py).

All dates are Asia/Shanghai, in 2025. The unit tree is handling.tests.world's, plus a
transport bureau; "housing" is the unit most cases are forwarded to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import time_machine

from xinfang.analytics.services import exclusion_add
from xinfang.cases.models import Case, EventKind, RequestKind
from xinfang.cases.services import case_event_append, case_register
from xinfang.cases.tests.factories import make_case
from xinfang.cases.workflow import Actor
from xinfang.catalog.models import Category
from xinfang.clock.engine import TZ
from xinfang.handling.evaluation import case_rate, ratings_expire, revisit_complete
from xinfang.handling.models import (
    RatingParty,
    RatingValue,
    RevisitOutcome,
    RevisitTask,
    SupervisionLevel,
)
from xinfang.handling.services import (
    case_accept,
    case_advice_close,
    case_classify,
    case_forward,
    case_object,
    case_objection_decide,
    case_reexam_decide,
    case_reexam_request,
    case_repeat_link,
    case_request,
    case_request_decide,
    case_start,
)
from xinfang.handling.supervision import supervision_open
from xinfang.handling.tests.world import World, build_world
from xinfang.orgs.models import Org, User
from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_org, make_staff

REPLY = {
    "request": "要求解决问题。",
    "facts": "经查属实。",
    "reasons": "依据有关规定。",
    "outcome": "support",
    "legal_basis": "有关规定",
}


TOPICS = {
    "A": "物业服务收费", "B": "拆迁补偿安置", "C": "房屋质量漏水", "D": "小区停车管理",
    "E": "供暖设施维修", "F": "公交线路调整", "G": "违章建筑拆除", "H": "邻里噪音纠纷",
    "I": "公园绿化建设", "J": "物业服务收费",
}  # fmt: skip


def at(month: int, day: int, hour: int = 9, year: int = 2025) -> time_machine.travel:
    return time_machine.travel(datetime(year, month, day, hour, tzinfo=TZ), tick=False)


@dataclass
class KpiWorld:
    w: World
    transport: Org
    transport_handler: User
    cases: dict[str, Case]


def _reply(case: Case, handler: User, leader: User) -> Case:
    request = case_request(case=case, actor=handler, kind=RequestKind.REPLY, fields=REPLY)
    case_request_decide(request=request, actor=leader, approve=True)
    case.refresh_from_db()
    return case


def _rate(case: Case, unit: str, reason: str = "") -> None:
    values = {RatingParty.BUREAU: RatingValue.SATISFIED, RatingParty.UNIT: unit}
    case_rate(case=case, values=values, reason=reason)


def _new(key: str, **kw: object) -> Case:
    """A petition of its own petitioner on its own matter (so triage finds no repeats)."""
    n = ord(key) - ord("A") + 10
    return make_case(
        title=f"{TOPICS[key]}问题",
        content=f"反映{TOPICS[key]}方面的具体问题，请求处理。",
        petitioner={"name": f"信访人{key}", "phone": f"139073112{n:02d}"},
        **kw,
    )


def _routed(w: World, key: str, month: int, day: int) -> Case:
    """Received, registered and forwarded to housing at 09:00 on the day."""
    with at(month, day):
        case = case_register(case=_new(key), actor=w.registrar)
        return case_forward(case=case, actor=w.registrar, to_org=w.housing, reason="属地主管")


def build_kpi_world() -> KpiWorld:
    w = build_world()
    transport = make_org(region_code="430102", parent=w.county_gov, name="芙蓉区交通运输局")
    t_handler = make_staff(org=transport, role=Role.HANDLER)
    c: dict[str, Case] = {}

    # A: on time and 满意; later 复查 changes the opinion.
    a = _routed(w, "A", 8, 1)
    with at(8, 3, 10):
        a = case_start(case=case_accept(case=a, actor=w.handler), actor=w.handler)
    with at(8, 20):
        a = _reply(a, w.handler, w.leader)
    with at(8, 22):
        _rate(a, RatingValue.SATISFIED)
    with at(8, 25):
        a = case_reexam_request(case=a, actor=None, by=Actor.PETITIONER, reason="仍有异议")
    with at(9, 10):
        a = case_reexam_decide(case=a, actor=w.county_leader, fields={**REPLY, "outcome": "revise"})
    c["A"] = a

    # B: replied late, 基本满意; triage proposed it as a repeat of the same matter.
    b = _routed(w, "B", 8, 1)
    case_event_append(
        case=b, kind=EventKind.TRIAGE, payload={"repeats": [{"case": 0, "same_matter": True}]}
    )
    with at(8, 4, 10):
        b = case_start(case=case_accept(case=b, actor=w.handler), actor=w.handler)
    with at(10, 20):
        b = _reply(b, w.handler, w.leader)
    with at(10, 21):
        _rate(b, RatingValue.BASIC)
    c["B"] = b

    # C: extended by 30 days, replied within the extension, 不满意 → revisit, note kept.
    cc = _routed(w, "C", 8, 1)
    with at(8, 3, 10):
        cc = case_start(case=case_accept(case=cc, actor=w.handler), actor=w.handler)
    with at(9, 20):
        request = case_request(
            case=cc, actor=w.handler, kind=RequestKind.EXTENSION,
            fields={"days": 30, "reason": "需要补充调查"},
        )  # fmt: skip
        case_request_decide(request=request, actor=w.leader, approve=True)
        cc.refresh_from_db()
    with at(10, 25):
        cc = _reply(cc, w.handler, w.leader)
    with at(10, 26):
        _rate(cc, RatingValue.DISSATISFIED, reason="问题未解决")
    with at(10, 28):
        task = RevisitTask.objects.get(case=cc)
        revisit_complete(
            task=task, actor=w.revisit, outcome=RevisitOutcome.ANNOTATE, note="已回访，已解决"
        )
    c["C"] = cc

    # D: replied, never rated: the rating window expired.
    d = _routed(w, "D", 8, 5)
    with at(8, 5, 15):
        d = case_start(case=case_accept(case=d, actor=w.handler), actor=w.handler)
    with at(8, 25):
        d = _reply(d, w.handler, w.leader)
    with at(9, 25):
        ratings_expire(case=d)
    c["D"] = d

    # E: 不满意 → revisit orders 重办 → second reply rated 满意.
    e = _routed(w, "E", 8, 5)
    with at(8, 5, 15):
        e = case_start(case=case_accept(case=e, actor=w.handler), actor=w.handler)
    with at(8, 26):
        e = _reply(e, w.handler, w.leader)
    with at(8, 27):
        _rate(e, RatingValue.DISSATISFIED, reason="不满意")
    with at(8, 28):
        task = RevisitTask.objects.get(case=e)
        revisit_complete(
            task=task, actor=w.revisit, outcome=RevisitOutcome.REHANDLE, note="重新办理"
        )
    with at(9, 5):
        e.refresh_from_db()
        e = _reply(e, w.handler, w.leader)
    with at(9, 6):
        _rate(e, RatingValue.SATISFIED)
    c["E"] = e

    # F: returned by housing (agreed), re-routed to transport, accepted, never answered,
    # supervised twice.
    f = _routed(w, "F", 8, 1)
    with at(8, 4):
        f = case_object(case=f, actor=w.handler, reason="不属于本单位职责", suggested_org=transport)
    with at(8, 5):
        f = case_objection_decide(case=f, actor=w.registrar, agree=True, new_org=transport)
    with at(8, 6):
        f = case_start(case=case_accept(case=f, actor=t_handler), actor=t_handler)
    with at(10, 10):
        supervision_open(
            case=f, actor=w.supervisor, level=SupervisionLevel.SUPERVISE,
            problem="超期未办结", target_org=transport,
        )  # fmt: skip
    with at(10, 20):
        supervision_open(
            case=f, actor=w.supervisor, level=SupervisionLevel.REMIND,
            problem="请尽快办理", target_org=transport,
        )  # fmt: skip
    c["F"] = f

    # G: returned by housing, objection rejected, signed late, replied on time, never rated.
    g = _routed(w, "G", 8, 1)
    with at(8, 4):
        g = case_object(case=g, actor=w.handler, reason="不属于本单位职责", suggested_org=None)
    with at(8, 5):
        g = case_objection_decide(case=g, actor=w.registrar, agree=False, reason="属于你单位职责")
    with at(8, 20):
        g = case_start(case=case_accept(case=g, actor=w.handler), actor=w.handler)
    with at(9, 10):
        g = _reply(g, w.handler, w.leader)
    c["G"] = g

    # H: accepted, never answered, excluded from every KPI (audited).
    h = _routed(w, "H", 8, 1)
    with at(8, 2):
        h = case_start(case=case_accept(case=h, actor=w.handler), actor=w.handler)
    with at(8, 10):
        exclusion_add(
            case=h, kpi="*", code="unreasonable", reason="诉求经复核不合理", actor=w.supervisor
        )
    c["H"] = h

    # I: an anonymous suggestion answered at once by the bureau (直办).
    with at(8, 6):
        i = _new("I", petition_type="suggestion", anonymous=True)
        i = case_register(case=i, actor=w.registrar)
        i = case_advice_close(case=i, actor=w.registrar, reply="感谢您的建议，已转有关部门参考。")
    c["I"] = i

    # J: a confirmed repeat of A, classified, registered but left unrouted: no notice sent.
    with at(8, 7):
        j = case_register(case=_new("J"), actor=w.registrar)
        j = case_repeat_link(case=j, actor=w.registrar, earlier=a)
        j = case_classify(case=j, actor=w.registrar, category=Category.objects.get(code="010000"))
    c["J"] = j

    for key, case in c.items():
        c[key] = Case.objects.get(pk=case.pk)
    return KpiWorld(w, transport, t_handler, c)
