"""Every workbench action in one registry: which states it applies to, who may use it, its
form, and the handling service it calls. The HTML workbench and the JSON API both use it, so
an action is offered exactly when the service would accept it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xinfang.cases.models import Case, CaseRequest, ClockKind, RequestKind, RequestStatus
from xinfang.cases.selectors import case_acting_org, case_get_for_user, case_relations
from xinfang.cases.services import case_register
from xinfang.cases.workflow import OPEN_STATES, Actor, CaseStatus, perms_for
from xinfang.clock.engine import TZ, end_of_day
from xinfang.core.errors import ApplicationError, FieldErrors, Msg
from xinfang.documents.choices import DocumentKind
from xinfang.grid.forms import VerificationTaskForm
from xinfang.grid.workbench import grid_task_possible, grid_task_run
from xinfang.handling import joint
from xinfang.handling import services as h
from xinfang.handling.evaluation import revisit_complete
from xinfang.handling.models import RevisitTask, SupervisionOrder, SupervisionStatus
from xinfang.handling.supervision import supervision_feedback, supervision_open
from xinfang.orgs.models import Org, User
from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import StaffScope
from xinfang.workbench import forms as f

S = CaseStatus
HANDLING = frozenset({S.ACCEPTED, S.IN_HANDLING, S.EXTENDED})
ADVICE_KINDS = frozenset({"advice", "consultation", "praise"})


@dataclass
class Context:
    """What the availability checks need, loaded once per case page."""

    case: Case
    user: User
    scope: StaffScope
    relations: Mapping[int, set[str]] = field(default_factory=dict)

    def acting(self, perms: frozenset[Perm], only: frozenset[str] | None = None) -> Org | None:
        return case_acting_org(
            case=self.case, scope=self.scope, perms=perms, relations=self.relations, only=only
        )

    def my_orgs(self) -> list[int]:
        return sorted(m.org_id for m in self.scope.memberships)


Run = Callable[[Context, dict[str, Any]], Any]


@dataclass(frozen=True)
class Action:
    name: str
    label: str | Promise
    form: type[f.CaseForm]
    perms: frozenset[Perm]
    run: Run
    states: frozenset[CaseStatus] = frozenset()
    when: Callable[[Context], bool] = lambda ctx: True
    primary: bool = False
    # The relations the move needs when narrower than the perm's (workflow.MOVE_RELATIONS).
    only: frozenset[str] | None = None
    # False: `when` alone decides (it checks the user's unit itself, e.g. an order's target).
    scoped: bool = True

    def available(self, ctx: Context) -> bool:
        if self.states and ctx.case.status not in self.states:
            return False
        if self.scoped and ctx.acting(self.perms, self.only) is None:
            return False
        return self.when(ctx)


def _to(to: CaseStatus) -> frozenset[Perm]:
    return perms_for(S.REGISTERED, to)


def _pending(ctx: Context) -> CaseRequest | None:
    return ctx.case.requests.filter(status=RequestStatus.PENDING).first()


WORKING = frozenset({Perm.CASE_HANDLE, Perm.CASE_APPROVE, Perm.CASE_ROUTE, Perm.CASE_REGISTER})


def _my_order(ctx: Context) -> SupervisionOrder | None:
    """An open order addressed to a unit where the user works cases (whatever its relation:
    bureaus and 复查 organs are supervised too)."""
    units = [m.org_id for m in ctx.scope.memberships if WORKING & m.perms]
    return ctx.case.supervisions.filter(status=SupervisionStatus.OPEN, target_org__in=units).first()


def _my_revisit(ctx: Context) -> RevisitTask | None:
    return ctx.case.revisits.filter(is_open=True, org__in=ctx.my_orgs()).first()


def _request(kind: RequestKind) -> Run:
    def run(ctx: Context, d: dict[str, Any]) -> Any:
        return h.case_request(case=ctx.case, actor=ctx.user, kind=kind, fields=d)

    return run


def _decide(ctx: Context, d: dict[str, Any]) -> Any:
    request = _pending(ctx)
    if request is None:
        raise ApplicationError(Msg("没有待审批的申请。", "Nothing is pending."), code="none")
    return h.case_request_decide(
        request=request, actor=ctx.user, approve=d["approve"], note=d.get("note", "")
    )


def _feedback(ctx: Context, d: dict[str, Any]) -> Any:
    order = _my_order(ctx)
    if order is None:
        raise ApplicationError(Msg("没有待反馈的督办单。", "No open order."), code="none")
    return supervision_feedback(order=order, actor=ctx.user, text=d["feedback"])


def _revisit(ctx: Context, d: dict[str, Any]) -> Any:
    task = _my_revisit(ctx)
    if task is None:
        raise ApplicationError(Msg("没有待回访任务。", "No open revisit."), code="none")
    return revisit_complete(task=task, actor=ctx.user, outcome=d["outcome"], note=d["note"])


def _hearing_paused(ctx: Context) -> bool:
    return ctx.case.clocks.filter(
        kind=ClockKind.REVIEW_DECIDE, stopped_at__isnull=True, paused_at__isnull=False
    ).exists()


def _other(ctx: Context, d: dict[str, Any], field: str) -> Case:
    """Another item named by its number that the user can see; any other number is simply
    not found (no hint that an out-of-scope item exists)."""
    number = d[field].strip()
    found = Case.objects.filter(item_number=number).exclude(pk=ctx.case.pk).first()
    other = found and case_get_for_user(user=ctx.user, case_id=found.pk)
    if not other:
        raise FieldErrors({field: [Msg("找不到该信访件编号。", "No such item number.")]})
    return other


def _repeat(ctx: Context, d: dict[str, Any]) -> Any:
    earlier = _other(ctx, d, "earlier")
    return h.case_repeat_link(case=ctx.case, actor=ctx.user, earlier=earlier)


def _group(ctx: Context, d: dict[str, Any]) -> Any:
    return joint.case_group_link(
        case=ctx.case, actor=ctx.user, other=_other(ctx, d, "into"), actor_org=ctx.acting(ROUTE)
    )


def _merge(ctx: Context, d: dict[str, Any]) -> Any:
    return joint.case_merge(
        case=ctx.case,
        actor=ctx.user,
        into=_other(ctx, d, "into"),
        reason=d.get("reason", ""),
        actor_org=ctx.acting(ROUTE),
    )


def _unserved(ctx: Context) -> bool:
    """A paper 意见书 (or 复查意见) whose receipt has not been recorded yet."""
    return ctx.case.documents.filter(
        kind__in=(DocumentKind.REPLY_OPINION, DocumentKind.REEXAM_OPINION), served_at__isnull=True
    ).exists()


def _served(ctx: Context, d: dict[str, Any]) -> Any:
    # The day counts, not the hour: the period runs from the day after receipt (C-1).
    served = datetime.combine(d["served_on"], time(0, 0), tzinfo=TZ)
    return h.case_service_record(case=ctx.case, actor=ctx.user, served_at=served)


def _forward(ctx: Context, d: dict[str, Any]) -> Any:
    return h.case_forward(
        case=ctx.case,
        actor=ctx.user,
        to_org=d["to_org"],
        co_orgs=list(d["co_orgs"]),
        assign=d["assign"],
        report_due=end_of_day(d["report_due"]) if d.get("report_due") else None,
        reason=d["reason"],
        override_reason=d["override_reason"],
    )


def _paper_request(review: bool) -> Run:
    def run(ctx: Context, d: dict[str, Any]) -> Any:
        return h.case_reexam_request(
            case=ctx.case,
            actor=ctx.user,
            by=Actor.STAFF,
            reason=d["reason"],
            review=review,
            late_reason=d["late_reason"],
        )

    return run


def _can_draft(ctx: Context) -> bool:
    """A written opinion is drafted for appeals and accusations; suggestions, enquiries and
    thanks are answered and closed (T24), with no 复查 to follow."""
    return _pending(ctx) is None and ctx.case.petition_type.kind not in ADVICE_KINDS


def _assigned(ctx: Context) -> bool:
    return ctx.case.clocks.filter(kind=ClockKind.REPORT).exists()


ROUTE = frozenset({Perm.CASE_ROUTE})
HANDLE = frozenset({Perm.CASE_HANDLE})
APPROVE = frozenset({Perm.CASE_APPROVE})
SUPERVISE = frozenset({Perm.CASE_SUPERVISE})
LEAD = frozenset({"lead"})
REVIEW = frozenset({"review"})

ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "register",
            _("登记"),
            f.EmptyForm,
            frozenset({Perm.CASE_REGISTER}),
            lambda c, d: case_register(case=c.case, actor=c.user),
            frozenset({S.RECEIVED}),
            primary=True,
        ),
        Action(
            "forward",
            _("转送/交办"),
            f.ForwardForm,
            ROUTE,
            _forward,
            frozenset({S.REGISTERED}),
            primary=True,
        ),
        Action(
            "reforward",
            _("再转送/交办下级"),
            f.ForwardForm,
            ROUTE,
            _forward,
            frozenset({S.FORWARDED, S.ASSIGNED}),
            only=LEAD,
        ),
        Action(
            "accept_own",
            _("本机关受理"),
            f.AcceptForm,
            _to(S.ACCEPTED),
            lambda c, d: h.case_accept(case=c.case, actor=c.user, handler=d.get("handler")),
            frozenset({S.REGISTERED}),
        ),
        Action(
            "not_accept",
            _("不予受理/告知/导入法定程序"),
            f.NotAcceptForm,
            ROUTE,
            lambda c, d: h.case_not_accept(
                case=c.case,
                actor=c.user,
                outcome=S(d["outcome"]),
                reason=d["reason"],
                rule=d["rule"],
                channel=d["channel"],
                target_org_name=d["target_org_name"],
                repeat_of=d["repeat_of"],
            ),
            frozenset({S.REGISTERED}),
        ),
        Action(
            "set_accused",
            _("确定被反映单位"),
            f.AccusedForm,
            ROUTE,
            lambda c, d: h.case_accused_set(case=c.case, actor=c.user, org=d["org"]),
            frozenset({S.RECEIVED, S.REGISTERED}),
        ),
        Action(
            "classify",
            _("确认分类与属地"),
            f.ClassifyForm,
            frozenset({Perm.CASE_REGISTER, Perm.CASE_ROUTE}),
            lambda c, d: h.case_classify(
                case=c.case, actor=c.user, category=d["category"], region=d["region"]
            ),
            frozenset({S.RECEIVED, S.REGISTERED}),
        ),
        Action(
            "link_repeat",
            _("关联重复信访件"),
            f.RepeatForm,
            ROUTE,
            _repeat,
            frozenset({S.RECEIVED, S.REGISTERED}),
            when=lambda c: c.case.repeat_of_id is None,
        ),
        Action(
            "link_group",
            _("关联为联名/群体件"),
            f.GroupForm,
            ROUTE,
            _group,
            frozenset({S.RECEIVED, S.REGISTERED}),
        ),
        Action(
            "merge",
            _("并单（并入相同事项的信访件）"),
            f.MergeForm,
            ROUTE,
            _merge,
            frozenset({S.RECEIVED, S.REGISTERED}),
        ),
        Action(
            "transfer_accusation",
            _("移交纪检监察"),
            f.TransferForm,
            ROUTE,
            lambda c, d: h.case_transfer_accusation(
                case=c.case, actor=c.user, to_org=d["to_org"], reason=d["reason"]
            ),
            frozenset({S.REGISTERED}),
            when=lambda c: c.case.petition_type.kind == "accusation",
        ),
        Action(
            "close_advice",
            _("答复办结"),
            f.ReplyTextForm,
            HANDLE | ROUTE,
            lambda c, d: h.case_advice_close(case=c.case, actor=c.user, reply=d["reply"]),
            frozenset({S.REGISTERED}) | HANDLING,
            when=lambda c: c.case.petition_type.kind in ADVICE_KINDS,
        ),
        Action(
            "accept",
            _("签收受理"),
            f.AcceptForm,
            HANDLE,
            lambda c, d: h.case_accept(case=c.case, actor=c.user, handler=d.get("handler")),
            frozenset({S.FORWARDED, S.ASSIGNED}),
            primary=True,
        ),
        Action(
            "object",
            _("提出异议（退回）"),
            f.ObjectForm,
            HANDLE,
            lambda c, d: h.case_object(
                case=c.case, actor=c.user, reason=d["reason"], suggested_org=d.get("suggested_org")
            ),
            frozenset({S.FORWARDED, S.ASSIGNED}),
        ),
        Action(
            "objection_decide",
            _("审核异议"),
            f.ObjectionDecideForm,
            ROUTE,
            lambda c, d: h.case_objection_decide(
                case=c.case,
                actor=c.user,
                agree=d["agree"],
                new_org=d.get("new_org"),
                reason=d["reason"],
            ),
            frozenset({S.OBJECTED}),
            primary=True,
        ),
        Action(
            "start",
            _("开始办理"),
            f.EmptyForm,
            HANDLE,
            lambda c, d: h.case_start(case=c.case, actor=c.user),
            frozenset({S.ACCEPTED, S.HEARING}),
            primary=True,
        ),
        Action(
            "set_handler",
            _("指定承办人"),
            f.HandlerForm,
            HANDLE,
            lambda c, d: h.case_handler_assign(case=c.case, actor=c.user, handler=d["handler"]),
            HANDLING,
        ),
        Action(
            "subdispatch",
            _("转派下级"),
            f.SubdispatchForm,
            HANDLE,
            lambda c, d: h.case_subdispatch(
                case=c.case, actor=c.user, to_org=d["to_org"], note=d["note"]
            ),
            HANDLING,
        ),
        Action(
            "hearing",
            _("组织听证"),
            f.NoteForm,
            HANDLE,
            lambda c, d: h.case_hearing(case=c.case, actor=c.user, start=True, note=d["note"]),
            frozenset({S.IN_HANDLING}),
        ),
        Action(
            "request_extension",
            _("申请延期"),
            f.ExtensionForm,
            HANDLE,
            _request(RequestKind.EXTENSION),
            frozenset({S.IN_HANDLING}),
            when=lambda c: _pending(c) is None,
        ),
        Action(
            "submit_reply",
            _("拟写处理意见"),
            f.OpinionForm,
            HANDLE,
            _request(RequestKind.REPLY),
            HANDLING,
            when=_can_draft,
            primary=True,
        ),
        Action(
            "decide_request",
            _("审批"),
            f.DecideForm,
            APPROVE,
            _decide,
            HANDLING,
            when=lambda c: _pending(c) is not None,
            primary=True,
            only=LEAD,
        ),
        Action(
            "record_service",
            _("登记送达"),
            f.ServiceForm,
            HANDLE | APPROVE | frozenset({Perm.CASE_REGISTER}),
            _served,
            h.SERVICE_STATES,
            when=_unserved,
            primary=True,
        ),
        Action(
            "report_submit",
            _("报送办结报告"),
            f.ReportForm,
            HANDLE,
            lambda c, d: h.case_report_submit(case=c.case, actor=c.user, report=d["report"]),
            frozenset({S.OPINION_ISSUED}),
            when=_assigned,
            primary=True,
        ),
        Action(
            "report_decide",
            _("审核办结报告"),
            f.DecideForm,
            ROUTE,
            lambda c, d: h.case_report_decide(
                case=c.case, actor=c.user, confirm=d["approve"], note=d["note"]
            ),
            frozenset({S.REPORT_SUBMITTED}),
            primary=True,
        ),
        Action(
            "record_reexam",
            _("登记书面复查申请"),
            f.PaperRequestForm,
            frozenset({Perm.CASE_REGISTER}),
            _paper_request(review=False),
            frozenset({S.OPINION_ISSUED, S.REPORT_SUBMITTED, S.COMPLETION_CONFIRMED}),
        ),
        Action(
            "record_review",
            _("登记书面复核申请"),
            f.PaperRequestForm,
            frozenset({Perm.CASE_REGISTER}),
            _paper_request(review=True),
            frozenset({S.REEXAM_DECIDED}),
        ),
        Action(
            "reexam_decide",
            _("出具复查意见"),
            f.ReviewOpinionForm,
            APPROVE,
            lambda c, d: h.case_reexam_decide(case=c.case, actor=c.user, fields=d),
            frozenset({S.REEXAM_REQUESTED}),
            primary=True,
            only=frozenset({"reexam"}),
        ),
        Action(
            "review_decide",
            _("出具复核意见"),
            f.ReviewOpinionForm,
            APPROVE,
            lambda c, d: h.case_reexam_decide(case=c.case, actor=c.user, fields=d, review=True),
            frozenset({S.REVIEW_REQUESTED}),
            primary=True,
            only=REVIEW,
        ),
        Action(
            "review_hearing",
            _("复核听证开始（暂停计时）"),
            f.EmptyForm,
            APPROVE,
            lambda c, d: h.case_review_hearing(case=c.case, actor=c.user, start=True),
            frozenset({S.REVIEW_REQUESTED}),
            when=lambda c: not _hearing_paused(c),
            only=REVIEW,
        ),
        Action(
            "review_hearing_end",
            _("复核听证结束（恢复计时）"),
            f.EmptyForm,
            APPROVE,
            lambda c, d: h.case_review_hearing(case=c.case, actor=c.user, start=False),
            frozenset({S.REVIEW_REQUESTED}),
            when=_hearing_paused,
            only=REVIEW,
        ),
        Action(
            "supervise",
            _("督办"),
            f.SuperviseForm,
            frozenset({Perm.CASE_SUPERVISE}),
            lambda c, d: supervision_open(
                case=c.case,
                actor=c.user,
                level=d["level"],
                problem=d["problem"],
                target_org=d["target_org"],
                issuer_org=c.acting(SUPERVISE),
            ),
            OPEN_STATES,
        ),
        Action(
            "feedback",
            _("督办反馈"),
            f.FeedbackForm,
            WORKING,
            _feedback,
            when=lambda c: _my_order(c) is not None,
            primary=True,
            scoped=False,
        ),
        Action(
            "revisit",
            _("回访"),
            f.RevisitForm,
            frozenset({Perm.CASE_REVISIT}),
            _revisit,
            when=lambda c: _my_revisit(c) is not None,
            primary=True,
        ),
        Action(
            "grid_verify",
            _("派发网格核查"),
            VerificationTaskForm,
            HANDLE | ROUTE,
            grid_task_run,
            frozenset({S.REGISTERED}) | HANDLING,
            when=grid_task_possible,
        ),
        Action(
            "withdraw",
            _("登记书面撤回"),
            f.ReasonForm,
            frozenset({Perm.CASE_REGISTER}),
            lambda c, d: h.case_withdraw(
                case=c.case, actor=c.user, by=Actor.STAFF, reason=d["reason"]
            ),
            OPEN_STATES - {S.REVIEW_DECIDED},
        ),
    )
}


def context_for(*, case: Case, user: User, scope: StaffScope) -> Context:
    return Context(case=case, user=user, scope=scope, relations=case_relations(case=case))


def actions_available(*, ctx: Context) -> list[Action]:
    return [a for a in ACTIONS.values() if a.available(ctx)]


NOT_AVAILABLE = Msg(
    "当前不能执行此操作，或您无权执行。", "This action is not available to you now."
)


def action_find(ctx: Context, name: str) -> Action | None:
    """The named action if it is on offer to this user for this case now."""
    action = ACTIONS.get(name)
    return action if action is not None and action.available(ctx) else None


def action_run(
    action: Action, ctx: Context, data: Any, *, prefix: str | None = None
) -> tuple[Any, ApplicationError | None]:
    """Validate `data` with the action's form and run it: (form, error) — both None on success.

    Shared by the HTML workbench and the JSON API so they accept exactly the same input.
    """
    form = action.form(data, case=ctx.case, prefix=prefix)
    if not form.is_valid():
        return form, None
    try:
        with transaction.atomic():
            action.run(ctx, form.cleaned_data)
    except FieldErrors as exc:
        for field, msgs in exc.errors.items():
            target = field if field in form.fields else None
            for msg in msgs:
                form.add_error(target, str(msg))
        return form, None
    except ApplicationError as exc:
        return form, exc
    return None, None
