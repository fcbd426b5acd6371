"""The staff workbench (htmx): queues, the case page and its actions. Thin: every read goes
through a scoped selector (out of scope → 404) and every write through the action registry."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xinfang.audit.models import AuditAction
from xinfang.audit.services import audit_record
from xinfang.cases.models import Case
from xinfang.cases.selectors import case_get_for_user
from xinfang.cases.workflow import CaseStatus
from xinfang.core.http import client_ip
from xinfang.handling.selectors import (
    QUEUE_LABELS,
    Queue,
    alerts_unread,
    queue_cases,
    queue_counts,
    queue_filter,
    queues_for,
)
from xinfang.handling.supervision import alerts_mark_read
from xinfang.orgs.selectors import staff_scope
from xinfang.signin.decorators import staff_login_required
from xinfang.workbench import presenters
from xinfang.workbench.actions import (
    ACTIONS,
    NOT_AVAILABLE,
    Context,
    action_find,
    action_run,
    actions_available,
    context_for,
)
from xinfang.workbench.filters import QueueFilterForm

PAGE_SIZE = 50
# Actions staff may take on several cases at once (the law lets each case be registered,
# forwarded or signed for on its own merits), with the form fields the bulk bar carries.
BULK_ACTIONS: dict[str, tuple[str, ...]] = {
    "register": (),
    "forward": ("to_org",),
    "accept": (),
}


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_GET
@staff_login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = staff_scope(user=request.user)
    counts = queue_counts(scope=scope)
    queues = [(q, QUEUE_LABELS[q], counts[q]) for q in queues_for(scope=scope)]
    return render(
        request,
        "workbench/home.html",
        {"queues": queues, "alerts": alerts_unread(scope=scope), "scope": scope},
    )


@require_GET
@staff_login_required
def queue(request: HttpRequest, name: str) -> HttpResponse:
    scope = staff_scope(user=request.user)
    try:
        which = Queue(name)
    except ValueError:
        raise Http404 from None
    if which not in queues_for(scope=scope):
        raise Http404
    form = QueueFilterForm(request.GET or None)
    qs = queue_filter(qs=queue_cases(scope=scope, queue=which), f=form.to_filter())
    ids = Paginator(qs.values_list("pk", flat=True), PAGE_SIZE).get_page(request.GET.get("page"))
    page: Page[Any] = Page(_queue_rows(list(ids)), ids.number, ids.paginator)
    context = {
        "queue": which,
        "label": QUEUE_LABELS[which],
        "form": form,
        "page": page,
        "bulk": which in (Queue.REGISTER, Queue.ROUTE, Queue.SIGN),
        "querystring": form.querystring(),
    }
    template = "workbench/_queue_table.html" if _htmx(request) else "workbench/queue.html"
    return render(request, template, context)


def _queue_rows(ids: list[int]) -> list[Case]:
    """One page of a queue, in the queue's order, with what the table shows.

    The queue is sorted on the case rows alone and only the page's 50 are joined to their
    type, region and units: joined first, PostgreSQL joined a unit's thousands of cases to
    keep 50. Status names come from one dict: `get_status_display` rebuilds and translates
    every choice on each call (a third of the page's CPU with 50 rows).
    """
    related = ("petition_type", "region", "category", "holder_org")
    found = Case.objects.select_related(*related).in_bulk(ids)
    labels = {value: str(label) for value, label in CaseStatus.choices}
    rows = [found[pk] for pk in ids if pk in found]
    for case in rows:
        case.status_label = labels[case.status]  # type: ignore[attr-defined]
    return rows


def _case_or_404(request: HttpRequest, pk: int) -> Case:
    case = case_get_for_user(user=request.user, case_id=pk)
    if case is None:
        raise Http404
    return case


def _page(
    request: HttpRequest,
    case: Case,
    *,
    forms: dict[str, Any] | None = None,
    status: int = 200,
    error: str = "",
    ctx: Context | None = None,
) -> HttpResponse:
    ctx = ctx or _context(request, case)
    available = actions_available(ctx=ctx)
    bound = forms or {}
    initial = presenters.action_initial(case=case)
    action_forms = [
        (a, bound.get(a.name) or a.form(case=case, prefix=a.name, initial=initial.get(a.name)))
        for a in available
    ]
    # Open the form the user just sent, else the first main step on offer.
    opened = next(iter(bound), None) or next((a.name for a in available if a.primary), None)
    data = presenters.case_page(case=case, scope=ctx.scope)
    context = {**data, "case": case, "actions": action_forms, "error": error, "opened": opened}
    return render(request, "workbench/case.html", context, status=status)


@require_GET
@staff_login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    ctx = _context(request, case)
    alerts_mark_read(org_ids=ctx.scope.org_ids, case=case)
    return _page(request, case, ctx=ctx)


def _context(request: HttpRequest, case: Case) -> Context:
    """The user's scope and relations to the case, loaded once per request."""
    return context_for(case=case, user=request.user, scope=staff_scope(user=request.user))  # type: ignore[arg-type]


@require_http_methods(["GET", "POST"])
@staff_login_required
def case_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    case = _case_or_404(request, pk)
    if request.method == "GET":  # e.g. reloading the address an error page was shown at
        return redirect(reverse("workbench:case", args=[case.pk]))
    ctx = _context(request, case)
    action = action_find(ctx, name)
    if action is None:
        return _page(request, case, status=403, error=str(NOT_AVAILABLE), ctx=ctx)
    form, error = action_run(action, ctx, request.POST, prefix=name)
    if error is not None or form is not None:
        # The failed move rolled back; the page must show the case as stored, not as the
        # service had begun to change it in memory.
        case.refresh_from_db()
    if error is not None:
        return _page(request, case, status=error.http_status, error=str(error.message), ctx=ctx)
    if form is not None:
        return _page(request, case, forms={name: form}, status=400, ctx=ctx)
    url = reverse("workbench:case", args=[case.pk])
    if _htmx(request):
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return redirect(url)


@require_POST
@staff_login_required
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a petitioner's identity in full, once, with an audit record (DOMAIN P-1(d))."""
    case = _case_or_404(request, pk)
    scope = staff_scope(user=request.user)
    people = presenters.identity_reveal(case=case, scope=scope)
    if people is None:
        return HttpResponse(str(NOT_AVAILABLE), status=403)
    audit_record(
        action=AuditAction.IDENTITY_REVEAL,
        actor=request.user,  # type: ignore[arg-type]
        object_type="case",
        object_id=case.pk,
        detail={
            "item_number": case.item_number,
            "fields": ["name", "phone", "id_number", "address"],
        },
        ip=client_ip(request),
    )
    return render(request, "workbench/_people.html", {"people": people, "revealed": True})


@require_POST
@staff_login_required
def bulk(request: HttpRequest) -> HttpResponse:
    """The same action on several cases (e.g. register or sign a batch); each case moves or
    fails on its own, and the page lists what happened."""
    name = request.POST.get("action", "")
    ids = [int(v) for v in request.POST.getlist("case") if v.isascii() and v.isdigit()]
    ids = ids[:PAGE_SIZE]
    action = ACTIONS.get(name)
    if action is None or name not in BULK_ACTIONS:
        return HttpResponse(status=400)
    # Only the fields the bulk form carries (forward: the one unit all cases go to).
    data = {field: request.POST.get(field, "") for field in BULK_ACTIONS[name]}
    results = []
    scope = staff_scope(user=request.user)
    for pk in ids:
        case = case_get_for_user(user=request.user, case_id=pk)
        if case is None:
            continue
        ctx = context_for(case=case, user=request.user, scope=scope)  # type: ignore[arg-type]
        found = action_find(ctx, name)
        if found is None:
            results.append((case, str(NOT_AVAILABLE)))
            continue
        form, error = action_run(found, ctx, data)
        message = str(error.message) if error else (_form_errors(form) if form else "")
        results.append((case, message))
    back = request.POST.get("queue", "")
    context = {"results": results, "action": action, "queue": back if back in set(Queue) else ""}
    return render(request, "workbench/bulk_result.html", context)


def _form_errors(form: Any) -> str:
    """A form's errors as one readable line: "label: message" per field."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        text = "；".join(str(e) for e in errors)
        parts.append(f"{label}：{text}" if label else text)
    return "；".join(parts)
