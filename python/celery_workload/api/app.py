"""Build the FastAPI application (listening is __main__'s job, so tests can build it alone)."""

from __future__ import annotations

from contextlib import asynccontextmanager

import anyio
import redis.asyncio as aioredis
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from dtq_instrumentation.starlette import DtqMiddleware

from ..celery_app import create_celery
from ..config import Settings
from ..services.queue_service import QueueService
from ..services.task_service import TaskService
from .routes import task_routes


def create_app(settings: Settings, *, on_startup=None, on_shutdown=None) -> FastAPI:
    celery = create_celery(settings)
    queue_service = QueueService(celery)
    task_service = TaskService(queue_service, allow_faults=settings.faults)
    ping_client = aioredis.Redis.from_url(settings.redis_url, socket_timeout=1)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await anyio.to_thread.run_sync(queue_service.warm_up)
        if on_startup:
            on_startup()
        yield
        await ping_client.aclose()
        if on_shutdown:
            on_shutdown()

    app = FastAPI(title="dtq FastAPI + Celery workload", lifespan=lifespan)
    app.include_router(task_routes(task_service))

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    @app.get("/ready")
    async def ready():
        try:
            await ping_client.ping()
        except Exception as error:  # noqa: BLE001 - any failure means not ready
            return JSONResponse(status_code=503, content={"status": "not ready", "redis": type(error).__name__})
        return {"status": "ready"}

    app.add_middleware(DtqMiddleware)
    return app
