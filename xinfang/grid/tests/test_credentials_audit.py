"""Issuing, rotating and disabling a grid system's token are audited (DESIGN invariant 7)."""

from __future__ import annotations

from django.test import Client

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


def test_the_admin_disables_a_system_through_the_audited_service(
    admin_client: Client, grid: IssuedCredentials
) -> None:
    system = grid.system
    url = f"/admin/grid/gridsystem/{system.pk}/change/"
    # The change form shows the switch but cannot turn it (only the action can).
    form = {"name": system.name, "region": system.region_id}
    assert admin_client.post(url, form).status_code == 302
    system.refresh_from_db()
    assert system.is_active
    response = admin_client.post(
        "/admin/grid/gridsystem/", {"action": "disable", "_selected_action": [system.pk]}
    )
    assert response.status_code == 302
    system.refresh_from_db()
    assert not system.is_active
    revoke = _entries(system.pk)[-1]
    assert revoke.action == AuditAction.CREDENTIAL_REVOKE
    assert revoke.actor is not None
    assert revoke.actor.is_superuser
