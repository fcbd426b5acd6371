"""The petition lifecycle in one place: states, the literal transition table, and who may act.

States and moves follow DOMAIN.md §4 (T1–T25) with the 12345 work-order steps folded in where
the law has an analogue (§6.3): 签收 is acceptance (T8), 退单 is the objection (T9–T10), reply
review is the unit head's sign-off on the opinion (T14), 重办 is the way back to IN_HANDLING.
Nothing else may decide which moves are legal.
"""

from __future__ import annotations

from enum import StrEnum

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


class CloseReason(models.TextChoices):
    NO_REEXAM_IN_TIME = "no_reexam_in_time", _("期满未申请复查")
    NO_REVIEW_IN_TIME = "no_review_in_time", _("期满未申请复核")
    REVIEW_FINAL = "review_final", _("复核终结")
    WITHDRAWN = "withdrawn", _("信访人撤回")
    ADVICE_REPLIED = "advice_replied", _("建议已答复")
    ACCUSATION_TRANSFERRED = "accusation_transferred", _("已移交纪检监察机关")
    LEGAL_TRACK_CONCLUDED = "legal_track_concluded", _("已依法终结（涉法涉诉）")
    MERGED = "merged", _("并案办理")


class NotAcceptRule(models.TextChoices):
    """Why an item leaves the 信访 procedure at registration (DOMAIN §2.3 N1–N9)."""

    OUTSIDE_REMIT = "outside_remit", _("非本机关职权，告知向有权机关提出（第二十三条）")
    LITIGATION = "litigation", _("诉访分离：涉诉事项导入司法程序（N1）")
    STATUTORY = "statutory", _("应通过诉讼、仲裁、行政复议等法定途径解决（N2–N4）")
    PENDING_BELOW = "pending_below", _("同一事项正在办理期间向上级提出（N5）")
    AFTER_REVIEW = "after_review", _("已经复核，以同一事实和理由提出（N6）")
    LEVEL_SKIP = "level_skip", _("越级走访（N7）")
    LATE_REQUEST = "late_request", _("无正当理由逾期申请复查、复核（N9）")


# Which rules fit which way out of the procedure.
NOT_ACCEPT_RULES: dict[CaseStatus, frozenset[NotAcceptRule]] = {
    CaseStatus.NOTIFIED_REDIRECT: frozenset({NotAcceptRule.OUTSIDE_REMIT}),
    CaseStatus.DIVERTED: frozenset({NotAcceptRule.LITIGATION, NotAcceptRule.STATUTORY}),
    CaseStatus.NOT_ACCEPTED_REPEAT: frozenset(
        {
            NotAcceptRule.PENDING_BELOW,
            NotAcceptRule.AFTER_REVIEW,
            NotAcceptRule.LEVEL_SKIP,
            NotAcceptRule.LATE_REQUEST,
        }
    ),
}


class Actor(StrEnum):
    """Who makes a move: staff act through their unit and role; the petitioner through
    verified tracking; the system through timers."""

    STAFF = "staff"
    PETITIONER = "petitioner"
    SYSTEM = "system"


S = CaseStatus

# The states in which a case still needs someone to act (KPIs and the sweep read this).
OPEN_STATES: frozenset[CaseStatus] = frozenset(
    {
        S.RECEIVED, S.REGISTERED, S.FORWARDED, S.ASSIGNED, S.OBJECTED, S.ACCEPTED,
        S.IN_HANDLING, S.EXTENDED, S.HEARING, S.OPINION_ISSUED, S.REPORT_SUBMITTED,
        S.COMPLETION_CONFIRMED, S.REEXAM_REQUESTED, S.REEXAM_DECIDED, S.REVIEW_REQUESTED,
        S.REVIEW_DECIDED,
    }
)  # fmt: skip
TERMINAL_STATES: frozenset[CaseStatus] = frozenset(CaseStatus) - OPEN_STATES

TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.RECEIVED: frozenset({S.REGISTERED, S.CLOSED}),  # T2, T22
    S.REGISTERED: frozenset(
        {
            S.FORWARDED,
            S.ASSIGNED,  # T3
            S.ACCEPTED,  # T4: within the registering organ's own remit
            S.NOTIFIED_REDIRECT,
            S.DIVERTED,
            S.NOT_ACCEPTED_REPEAT,  # T5–T7
            S.CLOSED,  # T22 withdrawn, T24 advice answered at once, T25 accusation transferred
        }
    ),
    # T8, T9, T22; a receiving bureau passes the item on down the levels (Art. 22(2)).
    S.FORWARDED: frozenset({S.ACCEPTED, S.OBJECTED, S.FORWARDED, S.ASSIGNED, S.CLOSED}),
    S.ASSIGNED: frozenset({S.ACCEPTED, S.OBJECTED, S.FORWARDED, S.ASSIGNED, S.CLOSED}),
    # T10: the forwarding bureau re-routes (agrees) or sends it back (rejects the objection).
    S.OBJECTED: frozenset({S.FORWARDED, S.ASSIGNED, S.CLOSED}),
    S.ACCEPTED: frozenset({S.IN_HANDLING, S.OPINION_ISSUED, S.CLOSED}),  # T11, fast track, T24
    S.IN_HANDLING: frozenset({S.EXTENDED, S.HEARING, S.OPINION_ISSUED, S.CLOSED}),  # T12–T14
    S.EXTENDED: frozenset({S.HEARING, S.OPINION_ISSUED, S.CLOSED}),
    S.HEARING: frozenset({S.IN_HANDLING, S.CLOSED}),  # T13
    S.OPINION_ISSUED: frozenset(
        {
            S.REPORT_SUBMITTED,  # T15, assigned items
            S.REEXAM_REQUESTED,  # T16
            S.IN_HANDLING,  # 重办 after a substantiated 不满意 (revisit outcome)
            S.CLOSED,  # T20 window elapsed, T22
        }
    ),
    S.REPORT_SUBMITTED: frozenset(
        {S.COMPLETION_CONFIRMED, S.IN_HANDLING, S.REEXAM_REQUESTED, S.CLOSED}
    ),
    S.COMPLETION_CONFIRMED: frozenset({S.REEXAM_REQUESTED, S.IN_HANDLING, S.CLOSED}),
    S.REEXAM_REQUESTED: frozenset({S.REEXAM_DECIDED, S.CLOSED}),  # T17, T22
    S.REEXAM_DECIDED: frozenset({S.REVIEW_REQUESTED, S.CLOSED}),  # T18, T21
    S.REVIEW_REQUESTED: frozenset({S.REVIEW_DECIDED, S.CLOSED}),  # T19
    S.REVIEW_DECIDED: frozenset({S.CLOSED}),  # T19 → 终结
    S.NOTIFIED_REDIRECT: frozenset(),
    S.DIVERTED: frozenset(),
    S.NOT_ACCEPTED_REPEAT: frozenset(),
    S.CLOSED: frozenset(),
}

# What a staff member needs to move a case INTO each state (any one of the perms).
TRANSITION_PERMS: dict[CaseStatus, frozenset[Perm]] = {
    S.REGISTERED: frozenset({Perm.CASE_REGISTER}),
    S.FORWARDED: frozenset({Perm.CASE_ROUTE}),
    S.ASSIGNED: frozenset({Perm.CASE_ROUTE}),
    S.NOTIFIED_REDIRECT: frozenset({Perm.CASE_ROUTE}),
    S.DIVERTED: frozenset({Perm.CASE_ROUTE}),
    S.NOT_ACCEPTED_REPEAT: frozenset({Perm.CASE_ROUTE}),
    S.OBJECTED: frozenset({Perm.CASE_HANDLE}),
    S.ACCEPTED: frozenset({Perm.CASE_HANDLE, Perm.CASE_ROUTE}),
    S.IN_HANDLING: frozenset({Perm.CASE_HANDLE}),
    S.EXTENDED: frozenset({Perm.CASE_APPROVE}),  # the organ head approves (Art. 34)
    S.HEARING: frozenset({Perm.CASE_HANDLE}),
    S.OPINION_ISSUED: frozenset({Perm.CASE_APPROVE}),  # handler drafts, head signs (T14)
    S.REPORT_SUBMITTED: frozenset({Perm.CASE_HANDLE}),
    S.COMPLETION_CONFIRMED: frozenset({Perm.CASE_ROUTE}),
    # Staff record a request that arrived on paper; petitioners file their own online.
    S.REEXAM_REQUESTED: frozenset({Perm.CASE_REGISTER}),
    S.REEXAM_DECIDED: frozenset({Perm.CASE_APPROVE}),
    S.REVIEW_REQUESTED: frozenset({Perm.CASE_REGISTER}),
    S.REVIEW_DECIDED: frozenset({Perm.CASE_APPROVE}),
}

# Moves whose actor is decided by where the case comes from, not where it goes.
EDGE_PERMS: dict[tuple[CaseStatus, CaseStatus], frozenset[Perm]] = {
    # 重办: ordered by the bureau after a revisit or a failed completion review.
    (S.OPINION_ISSUED, S.IN_HANDLING): frozenset({Perm.CASE_REVISIT, Perm.CASE_SUPERVISE}),
    (S.COMPLETION_CONFIRMED, S.IN_HANDLING): frozenset({Perm.CASE_REVISIT, Perm.CASE_SUPERVISE}),
    (S.REPORT_SUBMITTED, S.IN_HANDLING): frozenset({Perm.CASE_ROUTE}),
    # A fast-track (简易办理) reply straight after acceptance is the handler's (DOMAIN §2.4).
    (S.ACCEPTED, S.OPINION_ISSUED): frozenset({Perm.CASE_APPROVE}),
}

# Closing: who may close for which reason, and from where.
CLOSE_RULES: dict[CloseReason, tuple[frozenset[Actor], frozenset[Perm], frozenset[CaseStatus]]] = {
    # Staff only record a written withdrawal received by the registering organ.
    CloseReason.WITHDRAWN: (
        frozenset({Actor.PETITIONER, Actor.STAFF}),
        frozenset({Perm.CASE_REGISTER}),
        OPEN_STATES - {S.REVIEW_DECIDED},
    ),
    CloseReason.ADVICE_REPLIED: (
        frozenset({Actor.STAFF}),
        frozenset({Perm.CASE_HANDLE, Perm.CASE_ROUTE}),
        frozenset({S.REGISTERED, S.ACCEPTED, S.IN_HANDLING, S.EXTENDED}),
    ),
    CloseReason.ACCUSATION_TRANSFERRED: (
        frozenset({Actor.STAFF}),
        frozenset({Perm.CASE_ROUTE}),
        frozenset({S.REGISTERED}),
    ),
    CloseReason.LEGAL_TRACK_CONCLUDED: (
        frozenset({Actor.STAFF}),
        frozenset({Perm.CASE_ROUTE}),
        frozenset({S.REGISTERED, S.OBJECTED}),
    ),
    # 并单: a registrar folds a duplicate of another person's petition into the item that
    # handles the matter, before either is routed on (the reply answers both).
    CloseReason.MERGED: (
        frozenset({Actor.STAFF}),
        frozenset({Perm.CASE_REGISTER, Perm.CASE_ROUTE}),
        frozenset({S.RECEIVED, S.REGISTERED}),
    ),
    CloseReason.NO_REEXAM_IN_TIME: (
        frozenset({Actor.SYSTEM}),
        frozenset(),
        frozenset({S.OPINION_ISSUED, S.REPORT_SUBMITTED, S.COMPLETION_CONFIRMED}),
    ),
    CloseReason.NO_REVIEW_IN_TIME: (
        frozenset({Actor.SYSTEM}),
        frozenset(),
        frozenset({S.REEXAM_DECIDED}),
    ),
    CloseReason.REVIEW_FINAL: (
        frozenset({Actor.SYSTEM}),
        frozenset(),
        frozenset({S.REVIEW_DECIDED}),
    ),
}

# Moves the petitioner makes personally (other than withdrawing, which CLOSE_RULES covers).
PETITIONER_MOVES: frozenset[CaseStatus] = frozenset({S.REEXAM_REQUESTED, S.REVIEW_REQUESTED})

# Which of its relations to a case lets a unit use a permission on it. "register" is the
# registering organ (Case.register_org); the rest are CaseAccess relations. Regional roles
# (supervisors, bureau staff) additionally act on cases in their region for these perms only.
PERM_RELATIONS: dict[Perm, frozenset[str]] = {
    Perm.CASE_REGISTER: frozenset({"register", "reexam", "review"}),
    Perm.CASE_ROUTE: frozenset({"register", "forward"}),
    # A sub-dispatched unit (二级承办) helps and sees the case; the lead unit stays the one that
    # signs, asks, replies and answers for it.
    Perm.CASE_HANDLE: frozenset({"lead"}),
    Perm.CASE_APPROVE: frozenset({"lead", "reexam", "review"}),
    Perm.CASE_SUPERVISE: frozenset({"register", "forward", "supervise"}),
    Perm.CASE_REVISIT: frozenset({"register", "forward", "supervise"}),
    # Identity in full only for the units that must contact the petitioner (DOMAIN P-8).
    Perm.IDENTITY_REVEAL: frozenset({"register", "lead", "reexam", "review"}),
}
REGIONAL_PERMS: frozenset[Perm] = frozenset({Perm.CASE_SUPERVISE, Perm.CASE_REVISIT})

# Moves that only one relation may make, instead of those the perm works through: the 复查 and 复核
# decisions belong to the organs one and two levels up (Arts. 35–36), never to the unit whose
# opinion is under review; extensions and replies to the lead unit's head (Art. 34, T14).
MOVE_RELATIONS: dict[CaseStatus, frozenset[str]] = {
    S.REEXAM_DECIDED: frozenset({"reexam"}),
    S.REVIEW_DECIDED: frozenset({"review"}),
    S.EXTENDED: frozenset({"lead"}),
    S.OPINION_ISSUED: frozenset({"lead"}),
}
# The same for single edges: only the unit now holding a forwarded item passes it on.
EDGE_RELATIONS: dict[tuple[CaseStatus, CaseStatus], frozenset[str]] = {
    (a, b): frozenset({"lead"})
    for a in (S.FORWARDED, S.ASSIGNED)
    for b in (S.FORWARDED, S.ASSIGNED)
}


def relations_for(current: CaseStatus, to: CaseStatus) -> frozenset[str] | None:
    """The relations a move is restricted to, or None for the perm's usual ones."""
    return EDGE_RELATIONS.get((current, to), MOVE_RELATIONS.get(to))


def status_label(status: models.Choices) -> Msg:
    """A state's (or a close reason's) name in both UI languages; the English comes from the
    translation catalogue."""
    with translation.override("zh-hans"):
        zh = str(status.label)
    with translation.override("en"):
        en = str(status.label)
    return Msg(zh, en)


def can_transition(current: CaseStatus, to: CaseStatus) -> bool:
    return to in TRANSITIONS.get(current, frozenset())


def perms_for(current: CaseStatus, to: CaseStatus) -> frozenset[Perm]:
    """The staff permissions that allow the move (empty: no staff member may make it)."""
    return EDGE_PERMS.get((current, to), TRANSITION_PERMS.get(to, frozenset()))


def close_allowed(current: CaseStatus, reason: CloseReason, actor: Actor) -> bool:
    actors, _perms, sources = CLOSE_RULES[reason]
    return actor in actors and current in sources
