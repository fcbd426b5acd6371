"""Jobs of the analytics app. Thin: they call a service."""

from __future__ import annotations

from django_tasks import task


@task()
def rollup_refresh_task() -> int:
    """Every few minutes: bring the KPI facts and rollups up to date (incremental)."""
    from xinfang.analytics.rollup import rollup_refresh

    return rollup_refresh()


@task()
def monthly_report_mail_task() -> int:
    """Daily: on the configured day of the month, e-mail last month's summary (xlsx)."""
    from xinfang.analytics.report import monthly_report_send_due

    return monthly_report_send_due()
