"""The Celery application shared by the API (which only sends tasks) and the workers."""

from __future__ import annotations

from celery import Celery
from kombu import Exchange, Queue

from .config import Settings
from .queues import QUEUES


def create_celery(settings: Settings, *, include: tuple[str, ...] = ()) -> Celery:
    """Redis as broker and result backend; the three queues; at-least-once delivery."""
    app = Celery("dtq_celery", broker=settings.redis_url, backend=settings.redis_url, include=list(include))
    app.conf.update(
        task_queues=[Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES],
        task_default_queue="medium",
        # Workers poll high, then medium, then low (the design notes' order), one job at a time
        # per process so a high job is never stuck behind prefetched low ones.
        worker_prefetch_multiplier=1,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_track_started=True,
        result_expires=7 * 24 * 3600,
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout_s,
            # Every worker looks for messages of dead workers (older than the visibility timeout)
            # this often; kombu's default scans only every 10th 10 s tick, 100 s apart.
            "unacked_restore_interval": max(1, min(10, settings.visibility_timeout_s // 2)),
            "unacked_restore_throttle": 1,
            "queue_order_strategy": "priority",
        },
        result_backend_transport_options={"visibility_timeout": settings.visibility_timeout_s},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
    )
    return app
