"""`{% if user|can_view_stats %}`: the workbench shows the 统计分析 link only to those who may
open it (the same rule the dashboard applies, so the link never leads to a 403)."""

from __future__ import annotations

from django import template

from xinfang.orgs.permissions import Perm
from xinfang.orgs.selectors import staff_scope

register = template.Library()


@register.filter
def can_view_stats(user: object) -> bool:
    # Memoised on the request's user object: one membership query per page at most.
    cached: bool | None = getattr(user, "_analytics_can_view", None)
    if cached is None:
        cached = Perm.STATS_VIEW in staff_scope(user=user).perms
        user._analytics_can_view = cached  # type: ignore[attr-defined]
    return cached
