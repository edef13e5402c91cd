"""The worker's Celery app: `celery -A celery_workload.worker.main worker …`.

Logging: the main process writes as DTQ_INSTANCE (`worker-1`); each pool process, a process
of its own, writes as `worker-1.<n>` to its own file, so `event.sequence` and the lanes of the
explorer tell them apart. A job given up for good (retries spent, or poison) is pushed onto the
dead-letter list with its error and logged as task.dead_lettered.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import redis
from celery import signals

from dtq_instrumentation import EVENTS, F, configure_logging
from dtq_instrumentation.celery import instrument_celery

from ..celery_app import create_celery
from ..config import load_settings
from ..queues import DEAD_LETTER_KEY, DEAD_LETTER_QUEUE, priority_name, task_type

settings = load_settings(role="worker")


def _configure(instance: str):
    return configure_logging(
        "worker", instance, log_dir=settings.log_dir, stream=sys.stdout if settings.log_stdout else None
    )


LOG = _configure(settings.instance)
app = create_celery(settings, include=("celery_workload.worker.tasks",))
INSTRUMENTATION = instrument_celery(
    LOG,
    task_type=task_type,
    priority_name=priority_name,
    max_attempts=lambda task: None if task.max_retries is None else task.max_retries + 1,
)
_dead_letters = redis.Redis.from_url(settings.redis_url)


@signals.worker_ready.connect
def _ready(**_: Any) -> None:
    LOG.event(EVENTS.SERVICE_STARTED, f"Celery worker {settings.instance} consuming high, medium, low")


@signals.worker_process_init.connect
def _pool_process(**_: Any) -> None:
    from billiard.process import current_process

    index = getattr(current_process(), "index", None)
    instance = f"{settings.instance}.{index + 1}" if isinstance(index, int) else f"{settings.instance}.p"
    INSTRUMENTATION.log = _configure(instance)


@signals.worker_shutdown.connect
def _stopped(**_: Any) -> None:
    LOG.event(EVENTS.SERVICE_STOPPED, f"Celery worker {settings.instance} stopped")


@signals.task_failure.connect
def _dead_letter(sender: Any = None, task_id: str | None = None, exception: BaseException | None = None,
                 kwargs: dict | None = None, **_: Any) -> None:
    """A failure that reaches task_failure is final (a retry does not): keep the job for people."""
    if task_id is None:
        return
    request = getattr(sender, "request", None)
    queue = ((getattr(request, "delivery_info", None) or {}).get("routing_key")) or None
    entry = {
        "task_id": task_id,
        "task": getattr(sender, "name", None),
        "queue": queue,
        "kwargs": kwargs,
        "error": f"{type(exception).__name__}: {exception}" if exception else None,
        "at": time.time(),
    }
    _dead_letters.lpush(DEAD_LETTER_KEY, json.dumps(entry, default=str))
    INSTRUMENTATION.dead_lettered(task_id, queue=queue, dead_letter_queue=DEAD_LETTER_QUEUE, exc=exception)
