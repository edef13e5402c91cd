"""Infrastructure layer: send tasks, read results. The only module that talks to Celery."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.result import AsyncResult

from ..queues import PRIORITY

logger = logging.getLogger(__name__)


class QueueService:
    def __init__(self, app: Celery) -> None:
        self.app = app

    def submit_task(
        self,
        task_name: str,
        task_data: dict[str, Any],
        queue: str = "medium",
        priority: int = 5,
        correlation_id: str | None = None,
    ) -> str:
        """Publish the task; the correlation id travels in its kwargs, as the design notes fixed it."""
        kwargs = dict(task_data)
        if correlation_id:
            kwargs["correlation_id"] = correlation_id
        result = self.app.send_task(task_name, kwargs=kwargs, queue=queue, priority=priority)
        return result.id

    def warm_up(self) -> None:
        """Connect to the broker and declare the queues now, not inside the first request.

        Best effort: an unreachable broker is /ready's to report, and the first publish retries.
        """
        try:
            with self.app.producer_or_acquire() as producer:
                for queue in self.app.amqp.queues.values():
                    producer.maybe_declare(queue)
        except Exception as error:  # noqa: BLE001
            logger.warning("broker warm-up failed: %s", error)

    def get_status(self, task_id: str) -> dict[str, Any]:
        """Celery's state of a task (PENDING also for an id it never saw) and its result."""
        result = AsyncResult(task_id, app=self.app)
        state = result.state
        answer: dict[str, Any] = {"task_id": task_id, "status": state}
        if state == "SUCCESS":
            answer["result"] = result.result
        elif state in ("FAILURE", "RETRY"):
            answer["error"] = f"{type(result.result).__name__}: {result.result}"
        return answer

    def priority_of(self, queue: str) -> int:
        return PRIORITY[queue]
