"""What the current request or task is: a context variable that asyncio tasks and threads
started inside a request inherit, read by the formatter and by the Celery publish hook."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .correlation import TraceContext


@dataclass(frozen=True)
class LogContext:
    """Fields every line written inside a request or task carries."""

    correlation_id: str | None = None
    trace: TraceContext | None = None
    task_id: str | None = None
    # The running task's attempt number, for the task's own code (not written on every line).
    attempt: int | None = None


_current: contextvars.ContextVar[LogContext] = contextvars.ContextVar("dtq_log_context", default=LogContext())


def current() -> LogContext:
    """The context of the request or task running now (empty outside one)."""
    return _current.get()


def current_correlation_id() -> str | None:
    """The correlation id of the request or task running now, if any."""
    return _current.get().correlation_id


@contextmanager
def bound(context: LogContext) -> Iterator[LogContext]:
    """Run a block under `context`; the previous context is restored after it."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def bind(context: LogContext) -> contextvars.Token[LogContext]:
    """Set the context until `unbind(token)`: for hooks that start and end in different calls."""
    return _current.set(context)


def unbind(token: contextvars.Token[LogContext]) -> None:
    """Restore the context that was current before `bind`."""
    _current.reset(token)
