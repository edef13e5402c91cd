"""The Celery tasks. Retries with exponential backoff for transient faults only; invalid input
fails at once (poison) and goes to the dead-letter list (worker/main.py)."""

from __future__ import annotations

import time
from typing import Any

from celery import shared_task

from dtq_instrumentation import current

from ..config import load_settings
from .var import monte_carlo_var

_settings = load_settings()


class TransientError(Exception):
    """A fault worth retrying (a market-data timeout in the design notes)."""

    code = "DTQ_ERR_PRICING_TIMEOUT"


class PermanentError(Exception):
    """An input the task can never compute: retrying would fail the same way."""

    code = "DTQ_ERR_TASK_POISON"


def _attempt(task: Any) -> int:
    # The instrumentation counts redeliveries too, which request.retries does not.
    return current().attempt or task.request.retries + 1


def _inject(task: Any, fault: dict[str, Any] | None) -> None:
    """Fault injection for tests and demos (DTQ_FAULTS=1 in the API lets `data.fault` through)."""
    if not fault:
        return
    if fault.get("sleep_ms"):
        time.sleep(float(fault["sleep_ms"]) / 1000)
    if fault.get("poison"):
        raise PermanentError("the portfolio cannot be priced (injected poison)")
    if _attempt(task) <= int(fault.get("fail_attempts", 0)):
        raise TransientError("market data timed out (injected)")


@shared_task(
    bind=True,
    name="tasks.calculate_var",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(TransientError,),
    retry_backoff=_settings.retry_backoff_s,
    retry_backoff_max=600,
    retry_jitter=False,
    max_retries=_settings.max_retries,
)
def calculate_var(
    self: Any,
    portfolio_data: dict[str, Any],
    confidence_level: float = 0.95,
    time_horizon: int = 10,
    num_simulations: int = 100_000,
    correlation_id: str | None = None,
    fault: dict[str, Any] | None = None,
) -> dict[str, Any]:
    _inject(self, fault)
    result = monte_carlo_var(portfolio_data["positions"], confidence_level, time_horizon, num_simulations)
    return {**result, "correlation_id": correlation_id}
