"""Retries with exponential back-off for django_tasks tasks.

`@retrying_task(...)` replaces `@task()`. When the handler raises one of `retry_on`, the same
task is enqueued again with the same arguments, `run_after` = now + back-off, and the attempt
number in the hidden keyword `_attempt`; the failed attempt is recorded as FAILED with
`RetryScheduled` (the original error is its cause, so its traceback is in the admin). After
`max_attempts` the original exception propagates and the result stays FAILED with it.

Handlers receive ids, never objects, and must be safe to run again: a retry, a worker lost
mid-job (see requeue_stale_tasks) or an admin "retry" may run the same call more than once.

On a backend without `run_after` (the ImmediateBackend used in tests) the next attempt runs at
once, inside the failing one, so a test sees every attempt without waiting.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast

from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, TaskContext, task
from django_tasks.base import DEFAULT_TASK_PRIORITY, Task, TaskResult
from typing_extensions import ParamSpec

from xinfang.jobs.errors import RetryScheduled

P = ParamSpec("P")
T = TypeVar("T")

ATTEMPT_KWARG = "_attempt"
# 2**60 seconds is already far beyond any max_delay; the cap keeps the float finite.
_MAX_EXPONENT = 60

logger = logging.getLogger("xinfang.jobs")


def backoff_delay(
    *, attempt: int, base_delay: float, max_delay: float, rng: random.Random | None = None
) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based).

    The ceiling doubles per attempt up to max_delay; the delay is drawn from the ceiling's upper
    half, so many jobs failing together (a database restart) do not all come back together, and
    each wait is still at least as long as the previous one.
    """
    ceiling = min(max_delay, base_delay * 2 ** min(attempt - 1, _MAX_EXPONENT))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def _enqueue_next(
    current: TaskResult[Any],
    *,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    attempt: int,
    delay: float,
) -> TaskResult[Any]:
    # The running result's task carries the queue, priority and backend it was enqueued with.
    backend = current.task.get_backend()
    run_after = timezone.now() + timedelta(seconds=delay) if backend.supports_defer else None
    next_task = dataclasses.replace(current.task, run_after=run_after)
    return backend.enqueue(next_task, list(args), {**kwargs, ATTEMPT_KWARG: attempt})


def _as_task_function(run: Callable[..., T], func: Callable[..., Any]) -> None:
    # django_tasks stores the task by module path and checks the signature for `context`, so
    # the wrapper takes the handler's name but not __wrapped__ (which would expose the
    # handler's own signature).
    run.__module__ = func.__module__
    run.__name__ = func.__name__
    run.__qualname__ = func.__qualname__
    run.__doc__ = func.__doc__


def retrying_task(
    *,
    max_attempts: int = 5,
    base_delay: float = 30.0,
    max_delay: float = 3600.0,
    retry_on: tuple[type[Exception], ...] = (Exception,),
    priority: int = DEFAULT_TASK_PRIORITY,
    queue_name: str = DEFAULT_TASK_QUEUE_NAME,
    backend: str = DEFAULT_TASK_BACKEND_ALIAS,
) -> Callable[[Callable[P, T]], Task[P, T]]:
    """`@task()` with retries: see the module docstring."""
    if max_attempts < 1 or base_delay < 0 or max_delay < base_delay:
        raise ValueError("need max_attempts >= 1 and 0 <= base_delay <= max_delay")

    def decorate(func: Callable[P, T]) -> Task[P, T]:
        def run(context: TaskContext, *args: Any, **kwargs: Any) -> T:
            attempt = int(kwargs.pop(ATTEMPT_KWARG, 1))
            try:
                return func(*args, **kwargs)
            except retry_on as exc:
                if attempt >= max_attempts:
                    raise
                delay = backoff_delay(attempt=attempt, base_delay=base_delay, max_delay=max_delay)
                nxt = _enqueue_next(
                    context.task_result, args=args, kwargs=kwargs, attempt=attempt + 1, delay=delay
                )
                note = (
                    f"attempt {attempt} of {max_attempts} failed ({type(exc).__name__}); "
                    f"attempt {attempt + 1} queued as {nxt.id} in {delay:.0f}s"
                )
                logger.warning("%s: %s", func.__qualname__, note)
                raise RetryScheduled(note) from exc

        _as_task_function(run, func)
        make = task(priority=priority, queue_name=queue_name, backend=backend, takes_context=True)
        return cast(Task[P, T], make(run))

    return decorate
