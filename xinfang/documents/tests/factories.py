"""Valid inputs for every kind of document, and an issued document for tests that need one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from xinfang.cases.models import Case
from xinfang.documents.choices import DocumentKind
from xinfang.documents.models import Document
from xinfang.documents.services import document_issue
from xinfang.orgs.models import Org, User


def later(days: int = 20) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def valid_fields(kind: DocumentKind) -> dict[str, Any]:
    """The required fields of `kind`, filled in."""
    opinion = {
        "request": "请求责令工地停止夜间施工。",
        "facts": "经现场核查，该工地确有夜间施工行为。",
        "reasons": "夜间施工未取得夜间施工许可。",
        "legal_basis": "《中华人民共和国噪声污染防治法》第四十三条",
    }
    return {
        DocumentKind.RECEIPT_NOTICE: {},
        DocumentKind.NOT_ACCEPTED_NOTICE: {"reason": "该事项正在办理期限内。"},
        DocumentKind.REDIRECT_NOTICE: {
            "reason": "该事项属于住房城乡建设部门职权。",
            "target_org_name": "芙蓉区住房和城乡建设局",
        },
        DocumentKind.DIVERT_NOTICE: {"reason": "该事项属于劳动争议。", "channel": "arbitration"},
        DocumentKind.FORWARD_NOTICE: {"target_org_name": "芙蓉区城市管理和综合执法局"},
        DocumentKind.ASSIGN_NOTICE: {"target_org_name": "芙蓉区城管局", "due": later(15)},
        DocumentKind.EXTENSION_NOTICE: {"reason": "需要多部门联合调查。", "new_due": later(30)},
        DocumentKind.REPLY_OPINION: {
            **opinion,
            "outcome": "support",
            "remedy_org": "长沙市城市管理和综合执法局",
        },
        DocumentKind.REEXAM_OPINION: {
            **opinion,
            "outcome": "uphold",
            "remedy_org": "长沙市人民政府",
        },
        DocumentKind.REVIEW_OPINION: {**opinion, "outcome": "revoke"},
        DocumentKind.SUPERVISION_ORDER: {
            "level": "supervise",
            "target_org_name": "芙蓉区城管局",
            "problem": "超过办理期限未出具处理意见。",
            "feedback_due": later(10),
        },
    }[kind]


def make_document(
    *,
    case: Case,
    kind: DocumentKind = DocumentKind.RECEIPT_NOTICE,
    org: Org | None = None,
    actor: User | None = None,
    **fields: Any,
) -> Document:
    return document_issue(
        case=case,
        kind=kind,
        org=org or case.register_org,
        actor=actor,
        fields={**valid_fields(kind), **fields},
    )
