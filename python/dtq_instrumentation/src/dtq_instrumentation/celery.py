"""Celery signal handlers that write the contract's task lines.

    from dtq_instrumentation.celery import instrument_celery
    instrument_celery()          # once, in the module that creates the Celery app

Publishing side (the API): `before_task_publish` stamps the message with the current
correlation id, trace context, publish time and priority (headers `dtq_*` and `traceparent`);
`after_task_publish` writes `task.enqueued` once the broker has the message. Worker side:
`task_prerun` writes `task.started` with the queue wait, `task_postrun` `task.completed`,
`task_retry` the attempt's `task.failed` and `task.retry_scheduled` with the countdown,
`task_failure` `task.failed`, `task_revoked` `task.failed` (revoked).

Attempts. Celery counts retries (`request.retries`) but not redeliveries: a message that went
back to the queue because its worker was lost (`acks_late` with `reject_on_worker_lost`, or
the broker's visibility timeout) comes back with `delivery_info["redelivered"]` set and the
same headers. So the attempt number travels in a header (`dtq_attempt`, set when a task
publishes its own retry), and a redelivered message counts one more attempt and writes the
`task.stalled` line for the attempt that was lost: nobody else notices it (the worker's main
process requeues a lost child's message without any signal). A message redelivered twice
counts once: the broker does not say how often.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .context import LogContext, bind, current, unbind
from .correlation import TRACEPARENT_HEADER, child_trace_context, is_valid_correlation_id
from .formatter import ContractLog, contract_log, error_fields
from .vocabulary import EVENTS, F

HEADER_CORRELATION_ID = "dtq_correlation_id"
HEADER_PUBLISHED_AT = "dtq_published_at"
HEADER_ATTEMPT = "dtq_attempt"
HEADER_PRIORITY = "dtq_priority"
# The task keyword argument the design notes' API uses to pass the correlation id.
KWARG_CORRELATION_ID = "correlation_id"

REVOKED_CODE = "DTQ_ERR_TASK_REVOKED"


@dataclass
class _Running:
    """One attempt running in this process."""

    attempt: int
    started_ns: int
    token: Any
    # task.type and task.queue, repeated on every line of the attempt as the Node
    # instrumentation does: the dashboards count outcomes per type and per queue.
    identity: dict[str, Any]


def _header(request: Any, name: str) -> Any:
    """A custom message header: Celery exposes them as request attributes (and in request.headers)."""
    value = getattr(request, name, None)
    if value is None:
        headers = getattr(request, "headers", None)
        if isinstance(headers, Mapping):
            value = headers.get(name)
    return value


def _eta_seconds(eta: Any) -> float | None:
    if not eta:
        return None
    if isinstance(eta, datetime):
        moment = eta
    else:
        try:
            moment = datetime.fromisoformat(str(eta))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _delay_seconds(when: Any) -> float | None:
    """A Retry's `when`: a countdown in seconds or an eta."""
    if when is None:
        return None
    if isinstance(when, (int, float)):
        return float(when)
    eta = _eta_seconds(when)
    return None if eta is None else max(0.0, eta - time.time())


class CeleryInstrumentation:
    """The signal handlers, with their per-process state; `connect()` hooks them up."""

    def __init__(
        self,
        log: ContractLog | None = None,
        *,
        task_type: Callable[[str], str] = lambda name: name,
        max_attempts: Callable[[Any], int | None] | None = None,
        priority_name: Callable[[Any], str | None] = lambda priority: str(priority),
    ) -> None:
        self.log = log or contract_log()
        self.task_type = task_type
        # `task.priority` is the requested priority (high, medium, low in the Node workload);
        # Celery knows only the message priority, which an application maps back to its names.
        self.priority_name = priority_name
        self.max_attempts = max_attempts
        self._running: dict[str, _Running] = {}
        self._lock = threading.Lock()

    # Publishing side ------------------------------------------------------------------

    def before_task_publish(self, sender: str | None = None, body: Any = None, headers: dict | None = None,
                            properties: dict | None = None, **_: Any) -> None:
        if headers is None:
            return
        task_id = headers.get("id")
        ctx = current()
        kwargs = body[1] if isinstance(body, tuple) and len(body) > 1 and isinstance(body[1], dict) else {}
        correlation_id = kwargs.get(KWARG_CORRELATION_ID) or ctx.correlation_id
        if is_valid_correlation_id(correlation_id):
            headers.setdefault(HEADER_CORRELATION_ID, correlation_id)
        if ctx.trace is not None:
            headers.setdefault(TRACEPARENT_HEADER, ctx.trace.traceparent())
        headers[HEADER_PUBLISHED_AT] = time.time()
        priority = (properties or {}).get("priority")
        if priority is not None:
            headers[HEADER_PRIORITY] = priority
        # A task publishing its own retry: the next attempt's number travels with the message.
        running = self._running.get(task_id) if task_id else None
        if running is not None:
            headers[HEADER_ATTEMPT] = running.attempt + 1

    def after_task_publish(self, sender: str | None = None, body: Any = None, headers: dict | None = None,
                           routing_key: str | None = None, **_: Any) -> None:
        if headers is None or not headers.get("id"):
            return
        if headers.get(HEADER_ATTEMPT) or (headers.get("retries") or 0) > 0:
            return  # a retry of a job already enqueued: task.retry_scheduled says it
        task_id = str(headers["id"])
        name = str(headers.get("task") or sender or "")
        priority = headers.get(HEADER_PRIORITY)
        queue = routing_key or None
        self.log.event(
            EVENTS.TASK_ENQUEUED,
            f"task {task_id} enqueued on {queue}",
            {
                F.CORRELATION_ID: headers.get(HEADER_CORRELATION_ID),
                F.TASK_ID: task_id,
                F.TASK_TYPE: self.task_type(name) if name else None,
                F.TASK_QUEUE: queue,
                F.TASK_PRIORITY: None if priority is None else self.priority_name(priority),
            },
        )

    # Worker side ------------------------------------------------------------------------

    def task_prerun(self, task_id: str | None = None, task: Any = None, kwargs: dict | None = None, **_: Any) -> None:
        if task_id is None or task is None:
            return
        request = task.request
        now_ns = time.time_ns()
        delivery = getattr(request, "delivery_info", None) or {}
        redelivered = bool(delivery.get("redelivered"))
        carried = _header(request, HEADER_ATTEMPT)
        attempt = int(carried) if carried else (request.retries or 0) + 1
        if redelivered:
            attempt += 1
        correlation_id = (kwargs or {}).get(KWARG_CORRELATION_ID) or _header(request, HEADER_CORRELATION_ID)
        if not is_valid_correlation_id(correlation_id):
            correlation_id = None
        trace = child_trace_context(_header(request, TRACEPARENT_HEADER))
        token = bind(LogContext(correlation_id=correlation_id, trace=trace, task_id=task_id, attempt=attempt))
        queue = delivery.get("routing_key") or None
        identity = {F.TASK_TYPE: self.task_type(task.name), F.TASK_QUEUE: queue}
        with self._lock:
            self._running[task_id] = _Running(attempt, time.perf_counter_ns(), token, identity)
        if redelivered:
            self.log.event(
                EVENTS.TASK_STALLED,
                f"task {task_id}: attempt {attempt - 1} was lost (its worker died); the message was redelivered",
                {F.TASK_ID: task_id, **identity, F.TASK_ATTEMPT: attempt - 1},
                level=30,
            )
        fields: dict[str, Any] = {
            F.TASK_ID: task_id,
            **identity,
            F.TASK_ATTEMPT: attempt,
            F.TASK_REDELIVERED: redelivered or None,
        }
        if self.max_attempts is not None:
            fields[F.TASK_MAX_ATTEMPTS] = self.max_attempts(task)
        # The wait since the job became due: its publish, or its retry's eta. Unknown after a
        # redelivery (the lost attempt's run time is in it), so left out then.
        published = _header(request, HEADER_PUBLISHED_AT)
        if not redelivered and isinstance(published, (int, float)):
            due = max(float(published), _eta_seconds(getattr(request, "eta", None)) or 0.0)
            fields[F.TASK_QUEUE_WAIT] = max(0, now_ns - int(due * 1e9))
        self.log.event(EVENTS.TASK_STARTED, f"task {task_id} started (attempt {attempt})", fields)

    def task_postrun(self, task_id: str | None = None, state: str | None = None, **_: Any) -> None:
        if task_id is None:
            return
        with self._lock:
            running = self._running.pop(task_id, None)
        if running is None:
            return
        try:
            if state == "SUCCESS":
                self.log.event(
                    EVENTS.TASK_COMPLETED,
                    f"task {task_id} completed",
                    {
                        F.TASK_ID: task_id,
                        **running.identity,
                        F.TASK_ATTEMPT: running.attempt,
                        F.EVENT_DURATION: time.perf_counter_ns() - running.started_ns,
                        F.EVENT_OUTCOME: "success",
                    },
                )
        finally:
            unbind(running.token)

    def task_retry(self, request: Any = None, reason: Any = None, **_: Any) -> None:
        task_id = getattr(request, "id", None)
        if task_id is None:
            return
        running = self._running.get(task_id)
        attempt = running.attempt if running else (getattr(request, "retries", 0) or 0) + 1
        exc = getattr(reason, "exc", None) or reason
        identity = running.identity if running else {}
        failed: dict[str, Any] = {F.TASK_ID: task_id, **identity, F.TASK_ATTEMPT: attempt, F.EVENT_OUTCOME: "failure"}
        if running is not None:
            failed[F.EVENT_DURATION] = time.perf_counter_ns() - running.started_ns
        if isinstance(exc, BaseException):
            failed.update(error_fields(exc))
        self.log.event(EVENTS.TASK_FAILED, f"task {task_id} failed (attempt {attempt}); retrying", failed, level=40)
        delay = _delay_seconds(getattr(reason, "when", None))
        self.log.event(
            EVENTS.TASK_RETRY_SCHEDULED,
            f"task {task_id} retries in {delay:g} s" if delay is not None else f"task {task_id} retries",
            {
                F.TASK_ID: task_id,
                **identity,
                F.TASK_ATTEMPT: attempt,
                F.TASK_RETRY_DELAY: int((delay or 0.0) * 1e9),
            },
        )

    def task_failure(self, task_id: str | None = None, exception: BaseException | None = None,
                     sender: Any = None, **_: Any) -> None:
        if task_id is None:
            return
        running = self._running.get(task_id)
        fields: dict[str, Any] = {F.TASK_ID: task_id, F.EVENT_OUTCOME: "failure"}
        if running is not None:
            fields.update(running.identity)
            fields[F.TASK_ATTEMPT] = running.attempt
            fields[F.EVENT_DURATION] = time.perf_counter_ns() - running.started_ns
        if exception is not None:
            fields.update(error_fields(exception))
        self.log.event(EVENTS.TASK_FAILED, f"task {task_id} failed", fields, level=40)

    def task_revoked(self, request: Any = None, terminated: bool = False, signum: Any = None,
                     expired: bool = False, **_: Any) -> None:
        task_id = getattr(request, "id", None)
        if task_id is None:
            return
        why = "expired" if expired else "terminated" if terminated else "revoked"
        correlation_id = (getattr(request, "kwargs", None) or {}).get(KWARG_CORRELATION_ID)
        self.log.event(
            EVENTS.TASK_FAILED,
            f"task {task_id} {why}",
            {
                F.TASK_ID: task_id,
                F.CORRELATION_ID: correlation_id if is_valid_correlation_id(correlation_id) else None,
                F.ERROR_CODE: REVOKED_CODE,
                F.ERROR_TYPE: "Revoked",
                F.ERROR_MESSAGE: f"the task was {why}" + (f" (signal {signum})" if signum else ""),
                F.EVENT_OUTCOME: "failure",
            },
            level=40,
        )

    # Called by the application ------------------------------------------------------------

    def dead_lettered(self, task_id: str, *, queue: str | None, dead_letter_queue: str,
                      exc: BaseException | None = None) -> None:
        """Write `task.dead_lettered`: the application moved the job to its dead-letter queue."""
        running = self._running.get(task_id)
        fields: dict[str, Any] = {
            F.TASK_ID: task_id,
            **(running.identity if running else {}),
            F.TASK_QUEUE: queue,
            F.TASK_ATTEMPT: running.attempt if running else None,
        }
        if exc is not None:
            fields.update(error_fields(exc))
        self.log.event(EVENTS.TASK_DEAD_LETTERED, f"task {task_id} moved to {dead_letter_queue}", fields, level=40)

    def connect(self) -> CeleryInstrumentation:
        """Connect every handler to Celery's signals (weak=False: this object owns them)."""
        from celery import signals

        signals.before_task_publish.connect(self.before_task_publish, weak=False)
        signals.after_task_publish.connect(self.after_task_publish, weak=False)
        signals.task_prerun.connect(self.task_prerun, weak=False)
        signals.task_postrun.connect(self.task_postrun, weak=False)
        signals.task_retry.connect(self.task_retry, weak=False)
        signals.task_failure.connect(self.task_failure, weak=False)
        signals.task_revoked.connect(self.task_revoked, weak=False)
        return self


def instrument_celery(log: ContractLog | None = None, **options: Any) -> CeleryInstrumentation:
    """Write the contract's task lines from Celery's signals; returns the handlers' owner."""
    return CeleryInstrumentation(log, **options).connect()
