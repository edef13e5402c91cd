"""Business layer: which Celery task a request becomes, on which queue, and what a status means."""

from __future__ import annotations

from typing import Any

from dtq_instrumentation import EVENTS, F, contract_log

from ..queues import TASK_NAMES
from .queue_service import QueueService

# Celery's states in the contract's words (task.status).
STATUS_WORDS = {
    "PENDING": "queued",
    "RECEIVED": "queued",
    "RETRY": "queued",
    "STARTED": "running",
    "SUCCESS": "succeeded",
    "FAILURE": "failed",
    "REVOKED": "failed",
}


# One simulation draws and holds a float per position, several arrays deep (worker/var.py): the
# bound keeps a pool process's memory in the hundreds of MB (a default 100,000-simulation run
# admits 100 positions), where an unbounded one lets one request exhaust the worker's host.
MAX_SIMULATION_CELLS = 10_000_000


class InvalidTask(ValueError):
    """The request's data cannot be computed; the message says which field and what is expected."""

    code = "DTQ_ERR_API_INVALID_FIELD"


class WorkBudgetExceeded(InvalidTask):
    """The request's data is valid but would cost more than one task may."""

    code = "DTQ_ERR_API_WORK_BUDGET_EXCEEDED"


def _check_portfolio(data: dict[str, Any]) -> None:
    portfolio = data.get("portfolio_data")
    if not isinstance(portfolio, dict):
        raise InvalidTask("data.portfolio_data: expected an object with a list of positions")
    positions = portfolio.get("positions")
    if not isinstance(positions, list) or not positions:
        raise InvalidTask("data.portfolio_data.positions: expected a non-empty list of {symbol, quantity, price}")
    for i, position in enumerate(positions):
        for key in ("quantity", "price"):
            value = position.get(key) if isinstance(position, dict) else None
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise InvalidTask(f"data.portfolio_data.positions[{i}].{key}: expected a positive number")
    confidence = data.get("confidence_level", 0.95)
    if not isinstance(confidence, (int, float)) or not 0.5 <= confidence < 1:
        raise InvalidTask("data.confidence_level: expected a number from 0.5 to below 1")
    horizon = data.get("time_horizon", 10)
    if not isinstance(horizon, int) or isinstance(horizon, bool) or not 1 <= horizon <= 252:
        raise InvalidTask("data.time_horizon: expected whole trading days, 1 to 252")
    simulations = data.get("num_simulations", 100_000)
    if not isinstance(simulations, int) or isinstance(simulations, bool) or not 100 <= simulations <= 1_000_000:
        raise InvalidTask("data.num_simulations: expected a whole number from 100 to 1,000,000")
    if simulations * len(positions) > MAX_SIMULATION_CELLS:
        raise WorkBudgetExceeded(
            f"data: {len(positions)} positions × {simulations} simulations is over {MAX_SIMULATION_CELLS:,};"
            " send fewer positions or simulations"
        )


class TaskService:
    def __init__(self, queue_service: QueueService, *, allow_faults: bool = False) -> None:
        self.queue_service = queue_service
        self.allow_faults = allow_faults
        self.log = contract_log()

    def create_task(
        self,
        task_type: str,
        task_data: dict[str, Any],
        priority: str = "medium",
        queue: str | None = None,
        correlation_id: str | None = None,
    ) -> dict[str, Any]:
        if "fault" in task_data and not self.allow_faults:
            raise InvalidTask("data.fault: fault injection is enabled only with DTQ_FAULTS=1")
        if task_type == "calculate_var":
            _check_portfolio(task_data)
        queue = queue or priority
        task_id = self.queue_service.submit_task(
            task_name=TASK_NAMES[task_type],
            task_data=task_data,
            queue=queue,
            priority=self.queue_service.priority_of(priority),
            correlation_id=correlation_id,
        )
        return {"task_id": task_id, "status": "PENDING", "queue": queue}

    def get_task(self, task_id: str) -> dict[str, Any]:
        status = self.queue_service.get_status(task_id)
        word = STATUS_WORDS.get(status["status"], "queued")
        self.log.event(
            EVENTS.TASK_STATUS_READ,
            f"task {task_id} is {word}",
            {F.TASK_ID: task_id, F.TASK_STATUS: word},
        )
        return status
