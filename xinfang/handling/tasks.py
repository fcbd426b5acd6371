"""Periodic jobs of the handling workflow. Thin: they call a service."""

from __future__ import annotations

from django_tasks import task


@task()
def case_sweep_task() -> dict[str, int]:
    """Warn, flag overdue, close lapsed windows and escalate supervision (every few minutes)."""
    from dataclasses import asdict

    from xinfang.handling.sweep import sweep_run

    return asdict(sweep_run())
