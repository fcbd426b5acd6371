"""Cases moved to a replied state through the real handling services (as test_lifecycle does)."""

from __future__ import annotations

from typing import Any

from xinfang.cases.models import Case, RequestKind
from xinfang.cases.services import case_register
from xinfang.cases.tests.factories import make_case
from xinfang.handling.services import (
    case_accept,
    case_advice_close,
    case_forward,
    case_request,
    case_request_decide,
)
from xinfang.handling.tests.world import World

NAME = "李明"  # make_case's petitioner
CONTENT = (
    "我叫李明，住在3栋2单元501。车牌湘A12345的渣土车每晚十点后施工，"
    "请回电13907311234或发邮件到liming@163.com。"
)
REPLY = {
    "request": "要求查处夜间施工噪音。",
    "facts": "经查，李明反映的工地确有夜间施工行为，项目负责人王建国经理已到场整改。",
    "reasons": "违反《噪声污染防治法》有关规定。",
    "outcome": "support",
    "legal_basis": "《中华人民共和国噪声污染防治法》第四十三条",
    "opinion": "责令停止夜间施工，如再发生请拨打12345热线。",
}


def opinion_issued_case(w: World, **overrides: Any) -> Case:
    """A petition with personal data in its text, answered by a signed 信访处理意见书."""
    case = make_case(**{"content": CONTENT, **overrides})
    case = case_register(case=case, actor=w.registrar)
    case = case_forward(case=case, actor=w.registrar, to_org=w.housing, reason="属地主管")
    case = case_accept(case=case, actor=w.handler)
    request = case_request(case=case, actor=w.handler, kind=RequestKind.REPLY, fields=REPLY)
    case_request_decide(request=request, actor=w.leader, approve=True)
    case.refresh_from_db()
    return case


def advice_replied_case(w: World, reply: str, **overrides: Any) -> Case:
    """A suggestion answered and closed at once (T24)."""
    case = make_case(**{"petition_type": "suggestion", **overrides})
    case = case_register(case=case, actor=w.registrar)
    case = case_advice_close(case=case, actor=w.registrar, reply=reply)
    case.refresh_from_db()
    return case
