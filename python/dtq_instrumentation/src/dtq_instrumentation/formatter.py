"""Contract lines through stdlib logging: a JSON formatter and the logger that writes events.

Each record becomes one NDJSON line with flat dotted keys (docs/log-contract.md): `@timestamp`
in UTC with milliseconds, `service.name` (the role), `service.instance`, a per-process
`event.sequence`, `log.level`, `process.pid`, the current request's or task's correlation id
and trace ids, then the event's own fields. Fields are passed as `extra={"dtq": {...}}`, so a
record can never overwrite LogRecord attributes by accident.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .context import current
from .vocabulary import F

EXTRA_KEY = "dtq"
LOGGER_NAME = "dtq"

_LEVELS = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warn",
    logging.ERROR: "error",
    logging.CRITICAL: "fatal",
}


class _Sequence:
    """A per-process line counter that starts again at 1 in a forked child (a new process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._counter = itertools.count(1)

    def next(self) -> int:
        with self._lock:
            return next(self._counter)


_SEQUENCE = _Sequence()


def iso_millis(epoch_seconds: float) -> str:
    """`2026-12-01T09:00:00.014Z`: the contract's timestamp form."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class ContractJsonFormatter(logging.Formatter):
    """Formats records as contract lines for one process (`service_name` is its role)."""

    def __init__(self, service_name: str, instance: str | None = None) -> None:
        super().__init__()
        self.service_name = service_name
        self.instance = instance or service_name

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            F.TIMESTAMP: iso_millis(record.created),
            F.SERVICE_NAME: self.service_name,
            F.SERVICE_INSTANCE: self.instance,
            F.EVENT_SEQUENCE: _SEQUENCE.next(),
            F.LOG_LEVEL: _LEVELS.get(record.levelno, record.levelname.lower()),
            F.PROCESS_PID: record.process or os.getpid(),
        }
        ctx = current()
        if ctx.correlation_id is not None:
            line[F.CORRELATION_ID] = ctx.correlation_id
        if ctx.task_id is not None:
            line[F.TASK_ID] = ctx.task_id
        if ctx.trace is not None:
            line[F.TRACE_ID] = ctx.trace.trace_id
            line[F.SPAN_ID] = ctx.trace.span_id
        fields = getattr(record, EXTRA_KEY, None)
        if isinstance(fields, Mapping):
            line.update((key, value) for key, value in fields.items() if value is not None)
        line[F.MESSAGE] = record.getMessage()
        if record.exc_info and F.ERROR_STACK not in line:
            line[F.ERROR_STACK] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"), default=str)


class ContractLog:
    """Writes contract events: `log.event(EVENTS.TASK_STARTED, "task 1 started", {F.TASK_ID: "1"})`."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def event(
        self,
        action: str,
        message: str,
        fields: Mapping[str, Any] | None = None,
        *,
        level: int = logging.INFO,
    ) -> None:
        """Write one line with `event.action` = `action` and the given fields."""
        if not self.logger.isEnabledFor(level):
            return
        self.logger.log(level, "%s", message, extra={EXTRA_KEY: {F.EVENT_ACTION: action, **(fields or {})}})


def log_file_path(log_dir: str | os.PathLike[str], instance: str) -> Path:
    """`<log_dir>/<instance>.ndjson`: one file per process, the explorer's convention."""
    return Path(log_dir) / f"{instance}.ndjson"


def configure_logging(
    service_name: str,
    instance: str | None = None,
    *,
    log_dir: str | os.PathLike[str] | None = None,
    stream: Any = None,
    logger_name: str = LOGGER_NAME,
) -> ContractLog:
    """Send the `dtq` logger's lines to `<log_dir>/<instance>.ndjson` and/or a stream.

    Calling it again (a forked worker child taking its own instance name) replaces the
    handlers it installed before. Lines do not propagate to the root logger: the NDJSON file
    holds contract lines only.
    """
    logger = logging.getLogger(logger_name)
    for handler in [h for h in logger.handlers if getattr(h, "_dtq_handler", False)]:
        logger.removeHandler(handler)
        handler.close()
    formatter = ContractJsonFormatter(service_name, instance)
    handlers: list[logging.Handler] = []
    if log_dir is not None:
        path = log_file_path(log_dir, formatter.instance)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Append mode (O_APPEND): each line is one write() at the end of the file.
        handlers.append(logging.FileHandler(path, mode="a", encoding="utf-8"))
    if stream is not None:
        handlers.append(logging.StreamHandler(stream))
    for handler in handlers:
        handler.setFormatter(formatter)
        handler._dtq_handler = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return ContractLog(logger)


def contract_log(logger_name: str = LOGGER_NAME) -> ContractLog:
    """The ContractLog over an already configured logger."""
    return ContractLog(logging.getLogger(logger_name))


def error_fields(exc: BaseException, code: str | None = None) -> dict[str, Any]:
    """`error.type`, `error.message` and, when the exception carries one, `error.code`."""
    own = getattr(exc, "code", None)
    return {
        F.ERROR_CODE: code or (own if isinstance(own, str) else None),
        F.ERROR_TYPE: type(exc).__name__,
        F.ERROR_MESSAGE: str(exc) or type(exc).__name__,
    }
