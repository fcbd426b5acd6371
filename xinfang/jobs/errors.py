"""Exceptions recorded on task results. The admin tells a final failure from these by class path,
so they live at a stable import path."""

from __future__ import annotations


class RetryScheduled(Exception):
    """This attempt failed and the next one is queued; the original error is its __cause__."""


class WorkerLost(Exception):
    """RUNNING for longer than XINFANG_JOB_STALE_SECONDS: the worker is presumed dead."""


RETRY_SCHEDULED_PATH = f"{RetryScheduled.__module__}.{RetryScheduled.__qualname__}"
WORKER_LOST_PATH = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"
