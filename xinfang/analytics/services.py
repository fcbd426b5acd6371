"""Writes of the analytics app: KPI exclusions (audited) and the refresh entry points.

An exclusion takes one case out of one KPI (or all of them) with a reason code; creating or
removing one is audited and refreshes the case's fact and the rollups in the same transaction.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from xinfang.analytics.kpis import EXCLUSION_PARTS
from xinfang.analytics.models import Exclusion, ExclusionCode
from xinfang.analytics.rollup import facts_refresh
from xinfang.audit.models import AuditAction
from xinfang.audit.services import audit_record
from xinfang.cases.models import Case
from xinfang.core.errors import Conflict, FieldErrors, Msg
from xinfang.orgs.models import Org, User

ALL = "*"


def _check(kpi: str, code: str, reason: str) -> None:
    errors: dict[str, list[Msg]] = {}
    if kpi != ALL and kpi not in EXCLUSION_PARTS:
        errors["kpi"] = [Msg("无此指标。", "Unknown indicator.")]
    if code not in ExclusionCode.values:
        errors["code"] = [Msg("请选择排除原因。", "Choose a reason code.")]
    if not reason.strip():
        errors["reason"] = [Msg("请说明排除理由。", "Explain why the case is excluded.")]
    if errors:
        raise FieldErrors(errors)


@transaction.atomic
def exclusion_add(
    *,
    case: Case,
    kpi: str,
    code: str,
    reason: str,
    actor: User,
    actor_org: Org | None = None,
) -> Exclusion:
    """Exclude `case` from `kpi` ("*" for every KPI; the petition still counts in volumes)."""
    _check(kpi, code, reason)
    try:
        with transaction.atomic():
            exclusion = Exclusion.objects.create(
                case=case,
                kpi=kpi,
                code=code,
                reason=reason.strip(),
                actor=actor,
                created_at=timezone.now(),
            )
    except IntegrityError:
        raise Conflict(
            Msg("该信访件已在此指标中排除。", "The case is already excluded from this indicator.")
        ) from None
    facts_refresh(case_ids=[case.pk])
    audit_record(
        action=AuditAction.CASE_ACTION,
        actor=actor,
        actor_org=actor_org,
        object_type="case",
        object_id=case.pk,
        detail={"action": "kpi_exclusion_add", "kpi": kpi, "code": code, "reason": reason.strip()},
    )
    return exclusion


@transaction.atomic
def exclusion_remove(
    *, exclusion: Exclusion, actor: User, reason: str, actor_org: Org | None = None
) -> None:
    """Put the case back into the KPI; the removal and its reason are audited."""
    if not reason.strip():
        raise FieldErrors({"reason": [Msg("请说明恢复理由。", "Explain why.")]})
    case_id, kpi, code = exclusion.case_id, exclusion.kpi, exclusion.code
    if not Exclusion.objects.filter(pk=exclusion.pk).delete()[0]:
        raise Conflict(Msg("该排除已被撤销。", "The exclusion was already removed."))
    facts_refresh(case_ids=[case_id])
    audit_record(
        action=AuditAction.CASE_ACTION,
        actor=actor,
        actor_org=actor_org,
        object_type="case",
        object_id=case_id,
        detail={
            "action": "kpi_exclusion_remove",
            "kpi": kpi,
            "code": code,
            "reason": reason.strip(),
        },
    )
