"""The hotline pages of the workbench: the agent's entry screen (with its two htmx look-ups)
and the 12345 import/export page. Open to staff who register petitions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, time
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xinfang.cases.models import Case
from xinfang.clock.engine import TZ
from xinfang.core.errors import ApplicationError, FieldErrors, Msg
from xinfang.core.tables import file_response
from xinfang.hotline import selectors
from xinfang.hotline.forms import CallForm, ExportForm, ImportForm
from xinfang.hotline.mapping import mapping_load
from xinfang.hotline.models import Disposition
from xinfang.hotline.reports import errors_csv
from xinfang.hotline.rows import RowError
from xinfang.hotline.services import Call, call_record, workorders_export, workorders_import
from xinfang.hotline.tabular import read_table
from xinfang.intake.forms import form_field_errors
from xinfang.intake.validation import validate_petition
from xinfang.orgs.models import Region
from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import StaffScope, region_get, staff_scope
from xinfang.signin.decorators import staff_login_required
from xinfang.triage.classifier import classify
from xinfang.triage.textnorm import petition_text

View = Callable[..., HttpResponse]
LAST_CALL = "hotline_last_call"
IMPORT_ERRORS = "hotline_import_errors"
ERRORS_SHOWN = 200
ERRORS_KEPT = 5000  # in the session, for the CSV download
# As the citizen form's hint (board.views): below 6 characters the text says too little, and
# under 0.35 the classifier is guessing.
HINT_MIN_CHARS = 6
HINT_CATEGORY_MIN = 0.35


def _province() -> str:
    return str(settings.XINFANG_PROVINCE)


def agent_required(view: View) -> View:
    """Signed-in staff whose role registers petitions (registrars); others get 403."""

    @staff_login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scope = staff_scope(user=request.user)
        if not (scope.see_all or Perm.CASE_REGISTER in scope.perms):
            return render(request, "hotline/forbidden.html", status=403)
        request.hotline_scope = scope  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapped


def _scope(request: HttpRequest) -> StaffScope:
    return request.hotline_scope  # type: ignore[attr-defined]


def _initial(scope: StaffScope) -> dict[str, Any]:
    region = next((m.org.region.code for m in scope.memberships), "")
    return {
        "form_token": uuid.uuid4().hex,
        "petition_type": "consultation",
        "region_code": region,
        "disposition": Disposition.SAVED.value,
    }


def _entry_page(request: HttpRequest, form: CallForm, status: int = 200) -> HttpResponse:
    context = {"form": form, "last": request.session.pop(LAST_CALL, None)}
    return render(request, "hotline/entry.html", context, status=status)


def _add_intake_errors(form: CallForm, exc: FieldErrors) -> None:
    for name, msgs in form_field_errors(exc).items():
        target = name if name in form.fields else None
        for msg in msgs:
            form.add_error(target, msg)


def _call(form: CallForm) -> Call:
    d = form.cleaned_data
    return Call(
        data=form.petition_data(),
        token=d["form_token"],
        disposition=Disposition(d["disposition"]),
        demand_type=dict(form.fields["petition_type"].choices).get(d["petition_type"], ""),  # type: ignore[attr-defined]
        answer=d.get("answer", "").strip(),
        to_org=d.get("to_org"),
        note=d.get("note", "").strip(),
    )


def _remember(request: HttpRequest, case: Case, *, created: bool, done: str, problem: str) -> None:
    request.session[LAST_CALL] = {
        "case": case.pk,
        "item_number": case.item_number,
        "query_code": case.query_code,
        "status": case.get_status_display(),
        "created": created,
        "disposition": str(Disposition(done).label),
        "problem": problem,
    }


@require_http_methods(["GET", "POST"])
@agent_required
def entry(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if request.method == "GET":
        form = CallForm(initial=_initial(scope), scope=scope, province=_province())
        return _entry_page(request, form)
    form = CallForm(request.POST, scope=scope, province=_province())
    if not form.is_valid():
        try:  # every problem at once: the petition's own too
            validate_petition(form.petition_data())
        except FieldErrors as exc:
            _add_intake_errors(form, exc)
        return _entry_page(request, form, status=400)
    try:
        result = call_record(agent=request.user, call=_call(form))  # type: ignore[arg-type]
    except FieldErrors as exc:
        _add_intake_errors(form, exc)
        return _entry_page(request, form, status=400)
    except ApplicationError as exc:
        form.add_error(None, str(exc.message))
        return _entry_page(request, form, status=exc.http_status)
    problem = str(result.problem) if result.problem else ""
    _remember(
        request, result.case, created=result.created, done=result.disposition, problem=problem
    )
    return redirect("hotline:entry")


# The two look-ups are POSTs: a query string lands in access logs, and neither a caller's
# number nor what they said belongs there.
@require_POST
@agent_required
def caller(request: HttpRequest) -> HttpResponse:
    """htmx: the caller's earlier petitions this agent may read, by phone number."""
    phone = request.POST.get("phone", "")[:20]
    cases = selectors.caller_petitions(user=request.user, phone=phone)
    return render(request, "hotline/_caller.html", {"cases": cases, "phone": phone.strip()})


def _region(code: str) -> Region | None:
    return region_get(code=code) if code.strip().isdigit() else None


@require_POST
@agent_required
def hint(request: HttpRequest) -> HttpResponse:
    """htmx: the content category the classifier suggests and the unit the dispatch catalogue
    would route the matter to, while the agent types."""
    text = petition_text(
        request.POST.get("title", "")[:200], request.POST.get("content", "")[:2000]
    )
    context: dict[str, Any] = {"category": None, "lead": None}
    if len(text.strip()) < HINT_MIN_CHARS:
        return render(request, "hotline/_hint.html", context)
    prediction = classify(text)
    if prediction.top and prediction.top[0][1] >= HINT_CATEGORY_MIN:
        context["category"] = selectors.category_by_label(label=prediction.label)
    region = _region(request.POST.get("region_code", ""))
    if region is not None:
        context["lead"] = selectors.lead_proposal(category=context["category"], region=region)
    return render(request, "hotline/_hint.html", context)


# --- import / export ---------------------------------------------------------------------------


def _transfer_page(
    request: HttpRequest,
    form: ImportForm,
    *,
    report: Any = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "export_form": ExportForm(),
        "report": report,
        "errors_shown": report.errors[:ERRORS_SHOWN] if report else [],
        "error": error,
    }
    return render(request, "hotline/transfer.html", context, status=status)


@require_http_methods(["GET", "POST"])
@agent_required
def import_orders(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _transfer_page(request, ImportForm())
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _transfer_page(request, form, status=400)
    d = form.cleaned_data
    try:
        mapping = mapping_load(d["mapping"].read() if d["mapping"] else None)
        upload = d["file"]
        table = read_table(
            upload.read(),
            filename=upload.name or "",
            encoding=mapping.encoding,
            sheet=mapping.sheet,
        )
    except ApplicationError as exc:
        return _transfer_page(request, form, error=str(exc.message), status=400)
    report = workorders_import(
        table=table,
        mapping=mapping,
        dry_run=d["dry_run"],
        partial=d["partial"],
        source=upload.name or "",
        agent=request.user,  # type: ignore[arg-type]
    )
    request.session[IMPORT_ERRORS] = [
        [e.row, e.column, e.message.zh, e.message.en] for e in report.errors[:ERRORS_KEPT]
    ]
    status = 400 if report.errors and not (report.partial and report.created) else 200
    return _transfer_page(request, form, report=report, status=status)


@require_GET
@agent_required
def import_errors(request: HttpRequest) -> HttpResponse:
    """The last import's row errors as CSV (row, column, message)."""
    rows = request.session.get(IMPORT_ERRORS, [])
    errors = [RowError(r[0], r[1], Msg(r[2], r[3])) for r in rows]
    return file_response(errors_csv(errors), "csv", "import-errors")


def _day(value: Any) -> datetime | None:
    return datetime.combine(value, time(0, 0), tzinfo=TZ) if value else None


@require_GET
@agent_required
def export_orders(request: HttpRequest) -> HttpResponse:
    form = ExportForm(request.GET)
    if not form.is_valid():
        return _transfer_page(request, ImportForm(), error=_form_text(form), status=400)
    d = form.cleaned_data
    content, _count = workorders_export(
        mapping=mapping_load(None),
        fmt=d["format"],
        since=_day(d["since"]),
        until=_day(d["until"]),
        user=request.user,  # type: ignore[arg-type]
    )
    stamp = timezone.localtime(timezone.now(), TZ).strftime("%Y%m%d%H%M")
    return file_response(content, d["format"], f"hotline-{stamp}")


def _form_text(form: Any) -> str:
    return "；".join(f"{form.fields[k].label}：{' '.join(v)}" for k, v in form.errors.items())
