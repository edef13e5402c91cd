"""HTTP layer: parse, call the service, answer. No queue details here."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from ..services.task_service import InvalidTask, TaskService
from .schemas import TaskCreateResponse, TaskSubmitRequest

TASKS_PATH = "/api/v1/tasks"


def task_routes(task_service: TaskService) -> APIRouter:
    router = APIRouter()

    # Handlers are plain functions: Celery's publish blocks, so FastAPI runs them in its
    # thread pool, which copies the request's context (and so its correlation id) along.
    @router.post(TASKS_PATH, response_model=TaskCreateResponse, status_code=201)
    def create_task(task_request: TaskSubmitRequest, request: Request, response: Response):
        correlation_id = getattr(request.state, "correlation_id", None)
        try:
            result = task_service.create_task(
                task_type=task_request.task_type,
                task_data=task_request.data,
                priority=task_request.priority,
                correlation_id=correlation_id,
            )
        except InvalidTask as error:
            return JSONResponse(
                status_code=400,
                content={"error": {"code": error.code, "message": str(error), "correlation_id": correlation_id}},
            )
        response.headers["location"] = f"{TASKS_PATH}/{result['task_id']}"
        return result

    @router.get(TASKS_PATH + "/{task_id}")
    def get_task(task_id: str):
        return task_service.get_task(task_id)

    return router
