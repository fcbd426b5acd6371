"""The typed permission vocabulary (<scope>:<resource>:<action>) and what each role may do."""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Perm(StrEnum):
    CASE_VIEW = "staff:case:view"
    CASE_REGISTER = "staff:case:register"
    CASE_ROUTE = "staff:case:route"
    CASE_HANDLE = "staff:case:handle"
    CASE_APPROVE = "staff:case:approve"
    CASE_SUPERVISE = "staff:case:supervise"
    CASE_REVISIT = "staff:case:revisit"
    IDENTITY_REVEAL = "staff:identity:reveal"
    STATS_VIEW = "staff:stats:view"
    AUDIT_VIEW = "staff:audit:view"
    REFDATA_EDIT = "admin:refdata:edit"
    STAFF_MANAGE = "admin:staff:manage"
    PROXY_SUBMIT = "proxy:petition:submit"


class Role(models.TextChoices):
    REGISTRAR = "registrar", _("登记员 Registrar")
    HANDLER = "handler", _("承办人 Handler")
    UNIT_LEADER = "unit_leader", _("单位负责人 Unit leader")
    BUREAU_SUPERVISOR = "bureau_supervisor", _("督办员 Bureau supervisor")
    REVISIT_AGENT = "revisit_agent", _("回访员 Revisit agent")
    ANALYST = "analyst", _("分析员 Analyst")
    ADMIN = "admin", _("系统管理员 Administrator")
    AUDITOR = "auditor", _("审计员 Auditor")
    PROXY_AGENT = "proxy_agent", _("代理人 Proxy agent")


ROLE_PERMS: dict[Role, frozenset[Perm]] = {
    Role.REGISTRAR: frozenset({Perm.CASE_VIEW, Perm.CASE_REGISTER, Perm.CASE_ROUTE}),
    Role.HANDLER: frozenset({Perm.CASE_VIEW, Perm.CASE_HANDLE}),
    Role.UNIT_LEADER: frozenset(
        {Perm.CASE_VIEW, Perm.CASE_HANDLE, Perm.CASE_APPROVE, Perm.IDENTITY_REVEAL}
    ),
    Role.BUREAU_SUPERVISOR: frozenset({Perm.CASE_VIEW, Perm.CASE_SUPERVISE, Perm.STATS_VIEW}),
    Role.REVISIT_AGENT: frozenset({Perm.CASE_VIEW, Perm.CASE_REVISIT}),
    Role.ANALYST: frozenset({Perm.STATS_VIEW}),
    Role.ADMIN: frozenset({Perm.REFDATA_EDIT, Perm.STAFF_MANAGE}),
    Role.AUDITOR: frozenset({Perm.AUDIT_VIEW}),
    Role.PROXY_AGENT: frozenset({Perm.PROXY_SUBMIT}),
}

# Roles that see the cases of every unit in their organisation's region (DESIGN invariant 4:
# "or a unit below it, for bureaus and supervisors"); other roles see their own unit only.
REGIONAL_ROLES: frozenset[Role] = frozenset({Role.BUREAU_SUPERVISOR})
