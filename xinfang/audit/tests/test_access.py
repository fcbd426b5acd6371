"""Who reads the trail: auditors (AUDIT_VIEW) and superusers, read-only; nobody else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.template.response import TemplateResponse
from django.test import RequestFactory
from django.utils import timezone

from xinfang.audit.admin import AuditEntryAdmin
from xinfang.audit.models import AuditAction, AuditEntry
from xinfang.audit.selectors import audit_list
from xinfang.audit.services import audit_record
from xinfang.orgs.permissions import Role
from xinfang.orgs.services import user_create_staff
from xinfang.orgs.tests.factories import make_bureau, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau() -> Any:
    return make_bureau("430100")


@pytest.fixture
def entries(bureau: Any) -> list[AuditEntry]:
    leader = make_staff(org=bureau, role=Role.UNIT_LEADER)
    return [
        audit_record(action=AuditAction.AUTH_LOGIN, actor=leader, actor_org=bureau),
        audit_record(
            action=AuditAction.IDENTITY_REVEAL,
            actor=leader,
            actor_org=bureau,
            object_type="case",
            object_id=7,
        ),
        audit_record(action=AuditAction.AUTH_LOGIN_FAILED, detail={"username": "nobody"}),
    ]


def test_auditor_sees_every_entry_newest_first(bureau: Any, entries: Any) -> None:
    auditor = make_staff(org=bureau, role=Role.AUDITOR)
    assert [e.seq for e in audit_list(user=auditor)] == [3, 2, 1]


def test_superuser_sees_every_entry(entries: Any) -> None:
    root = user_create_staff(username="root", password="x", full_name="", is_superuser=True)
    assert audit_list(user=root).count() == 3


@pytest.mark.parametrize("role", [Role.REGISTRAR, Role.UNIT_LEADER, Role.ADMIN, Role.ANALYST])
def test_other_roles_see_nothing(bureau: Any, entries: Any, role: Role) -> None:
    assert not audit_list(user=make_staff(org=bureau, role=role)).exists()


def test_list_filters(bureau: Any, entries: Any) -> None:
    auditor = make_staff(org=bureau, role=Role.AUDITOR)
    leader = entries[0].actor
    assert [e.seq for e in audit_list(user=auditor, actor=leader)] == [2, 1]
    assert [e.seq for e in audit_list(user=auditor, action=AuditAction.AUTH_LOGIN)] == [1]
    assert [e.seq for e in audit_list(user=auditor, object_type="case", object_id=7)] == [2]
    now = timezone.now()
    assert audit_list(user=auditor, since=now - timedelta(minutes=1), until=now).count() == 3
    assert not audit_list(user=auditor, since=now).exists()


def test_list_costs_two_queries(bureau: Any, entries: Any, django_assert_num_queries: Any) -> None:
    auditor = make_staff(org=bureau, role=Role.AUDITOR)
    with django_assert_num_queries(2):  # the user's memberships, then the page with actors
        rows = list(audit_list(user=auditor))
        assert [str(e.actor_org) for e in rows if e.actor_org]


def _request(user: Any) -> Any:
    request = RequestFactory().get("/admin/audit/auditentry/")
    request.user = user
    return request


def test_admin_is_read_only_for_auditors(bureau: Any, entries: Any) -> None:
    model_admin = AuditEntryAdmin(AuditEntry, admin.site)
    request = _request(make_staff(org=bureau, role=Role.AUDITOR))
    assert model_admin.has_module_permission(request)
    assert model_admin.has_view_permission(request, entries[0])
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entries[0])
    assert not model_admin.has_delete_permission(request, entries[0])
    assert "delete_selected" not in model_admin.get_actions(request)
    assert model_admin.get_queryset(request).count() == 3
    response = model_admin.changelist_view(request)
    assert isinstance(response, TemplateResponse)
    html = response.render().content.decode()
    assert response.status_code == 200
    assert "查看信访人身份信息" in html  # the action's label, in the default language


def test_admin_is_closed_to_other_staff(bureau: Any, entries: Any) -> None:
    model_admin = AuditEntryAdmin(AuditEntry, admin.site)
    request = _request(make_staff(org=bureau, role=Role.UNIT_LEADER))
    assert not model_admin.has_module_permission(request)
    assert not model_admin.has_view_permission(request)
    assert not model_admin.get_queryset(request).exists()
