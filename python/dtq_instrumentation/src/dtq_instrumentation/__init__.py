"""dtq's log contract for Python services: stdlib logging, Starlette/FastAPI, Celery."""

from .context import LogContext, bound, current, current_correlation_id
from .correlation import (
    CORRELATION_ID_HEADER,
    correlation_id_from,
    is_valid_correlation_id,
    new_correlation_id,
    parse_traceparent,
)
from .formatter import ContractJsonFormatter, ContractLog, configure_logging, contract_log, log_file_path
from .vocabulary import CONTRACT_VERSION, EVENTS, F

__all__ = [
    "CONTRACT_VERSION",
    "CORRELATION_ID_HEADER",
    "EVENTS",
    "F",
    "ContractJsonFormatter",
    "ContractLog",
    "LogContext",
    "bound",
    "configure_logging",
    "contract_log",
    "correlation_id_from",
    "current",
    "current_correlation_id",
    "is_valid_correlation_id",
    "log_file_path",
    "new_correlation_id",
    "parse_traceparent",
]
