"""`{% if user|can:"staff:case:register" %}`: the workbench shows a link only to those who may
open it (the page applies the same permission, so a link never leads to a 403)."""

from __future__ import annotations

from django import template

from xinfang.orgs.selectors import staff_scope

register = template.Library()


@register.filter
def can(user: object, perm: str) -> bool:
    # Memoised on the request's user object: one membership query per page at most.
    perms: frozenset[str] | None = getattr(user, "_staff_nav_perms", None)
    if perms is None:
        perms = frozenset(str(p) for p in staff_scope(user=user).perms)
        user._staff_nav_perms = perms  # type: ignore[attr-defined]
    return perm in perms
