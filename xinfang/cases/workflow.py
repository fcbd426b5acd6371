"""The petition lifecycle in one place: states, the literal transition table, and who may act.

States follow DOMAIN.md §4.1. The Foundation issue wires RECEIVED → REGISTERED; the workflow
issue fills in the rest of the table (T3–T25). Nothing else may decide what moves are legal.
"""

from __future__ import annotations

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from xinfang.core.errors import Msg
from xinfang.orgs.permissions import Perm


class CaseStatus(models.TextChoices):
    RECEIVED = "received", _("已收到")
    REGISTERED = "registered", _("已登记")
    NOTIFIED_REDIRECT = "notified_redirect", _("已告知（非本机关职权）")
    DIVERTED = "diverted", _("已导入法定程序")
    NOT_ACCEPTED_REPEAT = "not_accepted_repeat", _("不予受理")
    FORWARDED = "forwarded", _("已转送")
    ASSIGNED = "assigned", _("已交办")
    OBJECTED = "objected", _("已提出异议")
    ACCEPTED = "accepted", _("已受理")
    IN_HANDLING = "in_handling", _("办理中")
    EXTENDED = "extended", _("已延期")
    HEARING = "hearing", _("听证中")
    OPINION_ISSUED = "opinion_issued", _("已出具意见")
    REPORT_SUBMITTED = "report_submitted", _("已报办结报告")
    COMPLETION_CONFIRMED = "completion_confirmed", _("审核认定办结")
    REEXAM_REQUESTED = "reexam_requested", _("已申请复查")
    REEXAM_DECIDED = "reexam_decided", _("已出具复查意见")
    REVIEW_REQUESTED = "review_requested", _("已申请复核")
    REVIEW_DECIDED = "review_decided", _("已出具复核意见")
    CLOSED = "closed", _("已办结")


S = CaseStatus

TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.RECEIVED: frozenset({S.REGISTERED}),  # T2
}

# The permission an actor needs to move a case INTO each state.
TRANSITION_PERMS: dict[CaseStatus, Perm] = {
    S.REGISTERED: Perm.CASE_REGISTER,
}


def status_label(status: CaseStatus) -> Msg:
    """A state's name in both UI languages; the English comes from the translation catalogue."""
    with translation.override("zh-hans"):
        zh = str(status.label)
    with translation.override("en"):
        en = str(status.label)
    return Msg(zh, en)


def can_transition(current: CaseStatus, to: CaseStatus) -> bool:
    return to in TRANSITIONS.get(current, frozenset())
