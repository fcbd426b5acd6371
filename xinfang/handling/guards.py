"""Guards that protect people, checked before a case reaches a unit or a person.

- Whistleblower rule (Art. 30 ¶3, 46(5); DESIGN invariant 5): an accusation never goes to the
  accused unit or any unit below it; only discipline inspection may override, with a reason.
- Recusal (Art. 28 ¶3, DOMAIN P-3): nobody from the accused unit, and nobody named as the
  accused, may be made the case's handler.
"""

from __future__ import annotations

from xinfang.cases.models import Case
from xinfang.core.errors import ApplicationError, Msg
from xinfang.orgs.models import Membership, Org, OrgKind, User


def _is_accusation(case: Case) -> bool:
    return case.is_confidential_accusation or case.petition_type.kind == "accusation"


def _within(org: Org, ancestor: Org) -> bool:
    return org.path.startswith(ancestor.path)


def routing_guard(
    *,
    case: Case,
    target: Org,
    actor_org: Org | None,
    override_reason: str,
    require_known: bool = True,
) -> None:
    """Refuse to route an accusation to the accused unit or its subordinates, and (unless
    `require_known` is off, for units already on the case) refuse to route it at all before
    the registrar has said which unit is accused."""
    if not _is_accusation(case):
        return
    if case.accused_org is None and not require_known:
        return
    if case.accused_org is None:
        raise ApplicationError(
            Msg(
                "检举控告件须先确定被反映单位，方可转送。",
                "Set the accused unit of this accusation before routing it.",
            ),
            code="accused_unknown",
        )
    if not _within(target, case.accused_org):
        return
    if override_reason.strip() and actor_org is not None and actor_org.kind == OrgKind.DISCIPLINE:
        return
    raise ApplicationError(
        Msg(
            "检举控告件不得转送被反映单位或其下级单位（信访工作条例第三十条）。",
            "An accusation may not be sent to the accused unit or a unit below it (Art. 30).",
        ),
        code="whistleblower_guard",
    )


def recusal_guard(*, case: Case, handler: User) -> None:
    """Refuse a handler who belongs to the accused unit or is the accused person."""
    name = (handler.full_name or "").strip()
    if name and case.accused_person and name == case.accused_person.strip():
        raise ApplicationError(
            Msg(
                "承办人为被反映人，应当回避。", "The handler is the accused person and must recuse."
            ),
            code="recusal",
        )
    if case.accused_org is None:
        return
    orgs = Org.objects.filter(
        pk__in=Membership.objects.filter(user=handler, is_active=True).values("org_id")
    )
    if any(_within(org, case.accused_org) for org in orgs):
        raise ApplicationError(
            Msg(
                "承办人所在单位为被反映单位，应当回避。",
                "The handler works for the accused unit and must recuse.",
            ),
            code="recusal",
        )
