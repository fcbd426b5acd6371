"""Writes of the hotline: 12345 work-order import, and a call taken on the entry screen.

Both make petitions only through `intake.services.petition_submit` (channel "hotline") with a
stable idempotency key — `12345:<工单编号>` for an imported order, `hotline:<form token>` for a
call (`intake.text.delivery_key`: hashed when not short printable ASCII) — so a repeated file
or a double-clicked save never makes a second petition. What happens to a call afterwards
(registration, dispatch, a direct answer) goes through the workbench's action registry, i.e.
the same forms, permissions and handling services a registrar uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from xinfang.audit.models import AuditAction
from xinfang.audit.services import audit_record
from xinfang.cases.models import Case, Channel, EventKind
from xinfang.cases.services import case_event_append
from xinfang.core.errors import ApplicationError, FieldErrors, Msg
from xinfang.core.tables import table_file, text_table
from xinfang.hotline.mapping import ColumnMapping
from xinfang.hotline.models import Disposition, WorkOrder
from xinfang.hotline.rows import (
    DUPLICATE_NUMBER,
    ParsedRow,
    RowError,
    case_row,
    columns_resolve,
    region_names,
    row_parse,
)
from xinfang.hotline.selectors import hotline_cases
from xinfang.hotline.tabular import Table
from xinfang.intake.services import petition_submit, request_digest
from xinfang.intake.text import delivery_key
from xinfang.orgs.models import Org, User
from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import staff_scope
from xinfang.workbench.actions import (
    ADVICE_KINDS,
    NOT_AVAILABLE,
    action_find,
    action_run,
    context_for,
)

Progress = Callable[[int, int], None]
PROGRESS_EVERY = 100
ENTRY_KEY = "hotline"  # a call's key: `hotline:<form token>`


CHANGED_SINCE_IMPORT = Msg(
    "该工单编号已导入，但内容与已导入的不同",
    "This work order was imported before with other content",
)


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    rows: int = 0
    created: int = 0
    existing: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    partial: bool = False
    unusable: bool = False  # the file itself is wrong (e.g. a required column is missing)

    @property
    def rejected_rows(self) -> int:
        return len({e.row for e in self.errors})


class _Rollback(Exception):
    """Raised inside the all-or-nothing transaction when a row fails while being stored."""


def _parse(table: Table, mapping: ColumnMapping, report: ImportReport) -> list[ParsedRow]:
    columns, header_errors = columns_resolve(table.header, mapping)
    if header_errors:
        report.errors.extend(header_errors)
        report.unusable = True
        return []
    caches: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
    parsed: list[ParsedRow] = []
    first_row: dict[str, int] = {}
    for number, cells in table.rows:
        result = row_parse(number, cells, columns=columns, mapping=mapping, caches=caches)
        if isinstance(result, list):
            report.errors.extend(result)
            continue
        if result.number in first_row:
            msg = DUPLICATE_NUMBER.format(row=first_row[result.number])
            report.errors.append(RowError(number, result.column, msg))
            continue
        first_row[result.number] = number
        parsed.append(result)
    return parsed


def _known(parsed: Sequence[ParsedRow], report: ImportReport) -> set[str]:
    """Work orders already in the system: imported before (their key), or our own
    petitions coming back from an export (their item number). One imported before with
    different content is an error: intake would refuse it, and the file should say so first."""
    digests = dict(
        Case.objects.filter(
            channel=Channel.HOTLINE, idempotency_key__in={p.key for p in parsed}
        ).values_list("idempotency_key", "request_digest")
    )
    numbers = {p.number for p in parsed}
    own = set(Case.objects.filter(item_number__in=numbers).values_list("item_number", flat=True))
    known = set()
    for p in parsed:
        if p.key in digests and digests[p.key] != request_digest(p.data):
            report.errors.append(RowError(p.row, p.column, CHANGED_SINCE_IMPORT))
        elif p.key in digests or p.number in own:
            known.add(p.key)
    return known


def _store(row: ParsedRow, agent: User | None) -> bool:
    """One work order into intake, with its extras; True when the petition is new."""
    # The call time, never later than now: the statutory clocks run from the call.
    receipt = petition_submit(
        channel=Channel.HOTLINE,
        data=row.data,
        idempotency_key=row.key,
        received_at=min(row.called_at, timezone.now()),
    )
    if receipt.created:
        WorkOrder.objects.create(
            case=receipt.case,
            number=row.number,
            called_at=row.called_at,
            demand_type=row.demand_type,
            disposition=Disposition.IMPORTED,
            agent=agent,
        )
    return receipt.created


def _error_of(row: ParsedRow, exc: ApplicationError) -> list[RowError]:
    if isinstance(exc, FieldErrors):
        return [RowError(row.row, k, m) for k, msgs in exc.errors.items() for m in msgs]
    return [RowError(row.row, row.column, exc.message)]


def _store_all(
    todo: Sequence[ParsedRow],
    *,
    report: ImportReport,
    agent: User | None,
    progress: Progress | None,
) -> None:
    for done, row in enumerate(todo, start=1):
        try:
            # Partial: each row commits or rolls back alone. Otherwise this is a savepoint in
            # the file's one transaction, and the first failure undoes the whole file.
            with transaction.atomic():
                created = _store(row, agent)
        except ApplicationError as exc:
            report.errors.extend(_error_of(row, exc))
            if not report.partial:
                raise _Rollback from exc
            continue
        report.created += int(created)
        report.existing += int(not created)
        if progress and (done % PROGRESS_EVERY == 0 or done == len(todo)):
            progress(done, len(todo))


def _audit_import(report: ImportReport, *, source: str, agent: User | None) -> None:
    """The import in the audit chain (DESIGN invariant 7): callers' names and phones come in
    and become petitions. AuditAction has no import act, so it is a case action by `kind`."""
    audit_record(
        action=AuditAction.CASE_ACTION,
        actor=agent,
        object_type="hotline.import",
        detail={
            "kind": "hotline.import",
            "file": source,
            "rows": report.rows,
            "created": report.created,
            "existing": report.existing,
            "rejected": report.rejected_rows,
            "partial": report.partial,
        },
    )


def _store_audited(
    todo: Sequence[ParsedRow],
    *,
    report: ImportReport,
    source: str,
    agent: User | None,
    progress: Progress | None,
) -> None:
    """Store the rows and audit the import in one transaction; a file refused as a whole is
    audited on its own, with nothing created."""
    existing = report.existing
    if not report.errors or report.partial:
        try:
            with transaction.atomic():
                _store_all(todo, report=report, agent=agent, progress=progress)
                _audit_import(report, source=source, agent=agent)
            return
        except _Rollback:
            report.created, report.existing = 0, existing
    with transaction.atomic():
        _audit_import(report, source=source, agent=agent)


def workorders_import(
    *,
    table: Table,
    mapping: ColumnMapping,
    dry_run: bool = False,
    partial: bool = False,
    source: str = "",
    agent: User | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a 12345 export: every row checked first; then, unless it is a dry run, all
    rows stored in one transaction — or, with `partial`, the good rows each on their own.

    A file with any bad row stores nothing without `partial`. Rows already imported (same
    work-order number) are counted as existing and change nothing. Each import but a dry run
    is audited once, with `source` (the file's name) and its counts.
    """
    report = ImportReport(rows=len(table.rows), dry_run=dry_run, partial=partial)
    parsed = _parse(table, mapping, report)
    known = _known(parsed, report)
    report.existing = len(known)
    bad = {e.row for e in report.errors}
    todo = [p for p in parsed if p.key not in known and p.row not in bad]
    if dry_run:
        report.created = len(todo)  # would be created
        return report
    _store_audited(todo, report=report, source=source, agent=agent, progress=progress)
    return report


# --- the entry screen ------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """A call as the agent recorded it: the petition data and what to do with it."""

    data: dict[str, Any]
    token: str
    disposition: Disposition
    demand_type: str = ""
    answer: str = ""
    to_org: Org | None = None
    note: str = ""


@dataclass(frozen=True)
class CallResult:
    case: Case
    created: bool
    disposition: Disposition
    problem: Msg | None = None  # why the chosen disposition was not carried out


def _step(case: Case, agent: User, name: str, data: dict[str, Any]) -> None:
    """One workbench action on the case, refused exactly as the workbench would refuse it."""
    ctx = context_for(case=case, user=agent, scope=staff_scope(user=agent))
    action = action_find(ctx, name)
    if action is None:
        raise ApplicationError(NOT_AVAILABLE, code="forbidden")
    form, error = action_run(action, ctx, data)
    if error is not None:
        raise error
    if form is not None:
        texts = [str(e) for errors in form.errors.values() for e in errors]
        raise ApplicationError(Msg("；".join(texts), "; ".join(texts)), code="invalid")


def _direct_answer(case: Case, agent: User, answer: str) -> None:
    """T24 where the law has it: a consultation, suggestion or thanks answered on the phone is
    registered and closed (建议已答复). Other petitions are registered and the answer given is
    recorded as a note: an appeal or accusation still needs its written handling."""
    _step(case, agent, "register", {})
    if case.petition_type.kind in ADVICE_KINDS:
        _step(case, agent, "close_advice", {"reply": answer})
        return
    ctx = context_for(case=case, user=agent, scope=staff_scope(user=agent))
    case_event_append(
        case=case,
        kind=EventKind.NOTE,
        payload={"direct_answer": answer, "channel": Channel.HOTLINE.value},
        actor=agent,
        actor_org=ctx.acting(frozenset({Perm.CASE_REGISTER})),
        reason=answer,
    )


def _dispatch(case: Case, agent: User, to_org: Org, note: str) -> None:
    """Register, then 转送 to the chosen unit: the registrar's two steps."""
    _step(case, agent, "register", {})
    _step(case, agent, "forward", {"to_org": to_org.code, "reason": note})


def _dispose(case: Case, agent: User, call: Call) -> None:
    if call.disposition == Disposition.DIRECT_ANSWER:
        _direct_answer(case, agent, call.answer)
    elif call.disposition == Disposition.DISPATCH and call.to_org is not None:
        _dispatch(case, agent, call.to_org, call.note)


def call_record(*, agent: User, call: Call, now: datetime | None = None) -> CallResult:
    """Save a call as one petition (once per form token), then dispose of it.

    The petition and its work order commit first, so the call is never lost; the disposition
    then runs in its own transaction, and if the workbench refuses it (the agent's unit does
    not register for that region, say) the petition stays as received, with the reason.
    A repeated submit of the same form returns the petition of the first and does nothing.
    """
    with transaction.atomic():
        receipt = petition_submit(
            channel=Channel.HOTLINE,
            data=call.data,
            idempotency_key=delivery_key(ENTRY_KEY, call.token),
        )
        if not receipt.created:
            order = WorkOrder.objects.filter(case=receipt.case).first()
            done = Disposition(order.disposition) if order else Disposition.SAVED
            return CallResult(receipt.case, created=False, disposition=done)
        order = WorkOrder.objects.create(
            case=receipt.case,
            called_at=now or timezone.now(),
            demand_type=call.demand_type,
            agent=agent,
        )
    case = receipt.case
    try:
        with transaction.atomic():
            _dispose(case, agent, call)
            WorkOrder.objects.filter(pk=order.pk).update(disposition=call.disposition)
    except ApplicationError as exc:
        case.refresh_from_db()
        return CallResult(case, created=True, disposition=Disposition.SAVED, problem=exc.message)
    case.refresh_from_db()
    return CallResult(case, created=True, disposition=call.disposition)


# --- export ----------------------------------------------------------------------------------


def workorders_export(
    *,
    mapping: ColumnMapping,
    fmt: str,
    since: datetime | None = None,
    until: datetime | None = None,
    user: User | None = None,
) -> tuple[bytes, int]:
    """Hotline petitions as a 12345 file (CSV or .xlsx) in the mapping's columns; a staff
    user gets those in scope. Callers' names and phones leave the system, so the export is
    audited (DESIGN invariant 6)."""
    cases = list(hotline_cases(since=since, until=until, user=user))
    names = region_names(cases)
    header = [mapping.header(t) for t in mapping.exported()]
    rows = [case_row(c, mapping, names) for c in cases]
    content = table_file(text_table(header, rows, title="工单"), fmt, mapping.encoding)
    with transaction.atomic():
        audit_record(
            action=AuditAction.IDENTITY_EXPORT,
            actor=user,
            object_type="hotline.export",
            detail={
                "count": len(rows),
                "format": fmt,
                "since": since.isoformat() if since else "",
                "until": until.isoformat() if until else "",
            },
        )
    return content, len(rows)
