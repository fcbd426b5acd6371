"""Template helpers for the citizens' portal."""

from __future__ import annotations

from django import template

from xinfang.cases.models import Case
from xinfang.cases.workflow import OPEN_STATES

register = template.Library()


@register.filter
def open_for_material(case: Case) -> bool:
    """Whether the petitioner may still add material (the service checks again on submit)."""
    return case.status in OPEN_STATES
