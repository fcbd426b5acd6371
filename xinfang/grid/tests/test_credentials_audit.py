"""Issuing, rotating and disabling a grid system's token are audited (DESIGN invariant 7)."""

from __future__ import annotations

from xinfang.audit.models import AuditAction, AuditEntry
from xinfang.grid.services import IssuedCredentials, grid_system_disable, grid_system_rotate
from xinfang.handling.tests.world import World


def _entries(system_pk: int) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(object_type="grid.system", object_id=str(system_pk)).order_by(
            "seq"
        )
    )


def test_issue_rotate_and_disable_are_audited_without_the_token(
    world: World, grid: IssuedCredentials
) -> None:
    system = grid.system
    rotated = grid_system_rotate(system=system, actor=world.registrar)
    grid_system_disable(system=system, actor=world.registrar)

    entries = _entries(system.pk)
    assert [e.action for e in entries] == [
        AuditAction.CREDENTIAL_ISSUE,
        AuditAction.CREDENTIAL_ISSUE,
        AuditAction.CREDENTIAL_REVOKE,
    ]
    assert entries[0].actor is None
    assert entries[0].detail["via"] == "command"
    assert entries[1].actor == world.registrar
    assert entries[1].detail["rotated"] is True
    assert entries[1].detail["hint"] == rotated.token[:12]
    for entry in entries:  # the hint names the token; the token itself is never kept
        assert grid.token not in str(entry.detail)
        assert rotated.token not in str(entry.detail)
