"""`python -m celery_workload.api`: one FastAPI server under uvicorn (DTQ_API_HOST, DTQ_API_PORT)."""

from __future__ import annotations

import sys

import uvicorn

from dtq_instrumentation import EVENTS, F, configure_logging
from dtq_instrumentation.celery import instrument_celery

from ..config import ConfigError, load_settings
from ..queues import priority_name, task_type
from .app import create_app


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"{error.code}: {error}", file=sys.stderr)
        return 2
    log = configure_logging(
        "api", settings.instance, log_dir=settings.log_dir, stream=sys.stdout if settings.log_stdout else None
    )
    instrument_celery(
        log,
        task_type=task_type,
        priority_name=priority_name,
    )
    app = create_app(
        settings,
        on_startup=lambda: log.event(
            EVENTS.SERVICE_STARTED,
            f"FastAPI listening on {settings.api_host}:{settings.api_port}",
            {F.SERVER_ADDRESS: settings.api_host, F.SERVER_PORT: settings.api_port},
        ),
        on_shutdown=lambda: log.event(EVENTS.SERVICE_STOPPED, "FastAPI stopped"),
    )
    uvicorn.run(app, host=settings.api_host, port=settings.api_port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
