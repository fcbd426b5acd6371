"""Periodic jobs of xinfang.wechat (registered in settings.XINFANG_SCHEDULE)."""

from __future__ import annotations

from django_tasks import task


@task()
def wechat_purge_task() -> dict[str, int]:
    from xinfang.wechat.services import wechat_purge

    return wechat_purge()
