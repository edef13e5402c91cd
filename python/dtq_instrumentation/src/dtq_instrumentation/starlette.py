"""ASGI middleware for Starlette and FastAPI: one correlation id and trace context per request,
and the contract's `http.request.received` / `http.request.completed` lines.

Plain ASGI (no BaseHTTPMiddleware), so streaming responses and background tasks keep working
and the request costs two log lines, not an extra task. Add it last, so it wraps everything:

    app.add_middleware(DtqMiddleware)
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .context import LogContext, bind, unbind
from .correlation import (
    CORRELATION_ID_HEADER,
    TRACEPARENT_HEADER,
    child_trace_context,
    correlation_id_from,
)
from .formatter import ContractLog, contract_log
from .vocabulary import EVENTS, F

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

IDEMPOTENCY_HEADER = "idempotency-key"
# An Idempotency-Key is logged only when it is printable ASCII of a sane length: the header is
# the client's, and a log line is no place for control characters or a megabyte of text.
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
# The contract's status route (docs/log-contract.md, Status polls).
STATUS_ROUTE = "/api/v1/tasks/{task_id}"
# The contract's route form is `/api/v1/tasks/:task_id`; Starlette writes `{task_id}` or `{task_id:str}`.
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}")


def contract_route(path_format: str) -> str:
    """`/api/v1/tasks/{task_id}` → `/api/v1/tasks/:task_id`."""
    return _PARAM.sub(r":\1", path_format)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return value.decode("latin-1")  # HTTP's header charset: decodes every byte
    return None


def _printable_key(value: str | None) -> str | None:
    return value if value is not None and _IDEMPOTENCY_KEY.fullmatch(value) else None


def _route_regex(template: str) -> re.Pattern[str]:
    """`/api/v1/tasks/{task_id}` → a pattern with one named group per path segment parameter."""
    parts = _PARAM.split(template)
    # re.split with one group alternates literal text and parameter names.
    pattern = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
    return re.compile(pattern)


def _routed(scope: Scope) -> tuple[str | None, dict[str, Any]]:
    """The route template and path parameters the router chose (it leaves them in the scope)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return (contract_route(path) if isinstance(path, str) and path else None), dict(scope.get("path_params") or {})


class DtqMiddleware:
    """Correlation id (X-Request-ID), W3C trace context (traceparent) and request lines."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        log: ContractLog | None = None,
        status_route: str = STATUS_ROUTE,
        task_id_param: str = "task_id",
        echo_header: bool = True,
    ) -> None:
        self.app = app
        self.log = log or contract_log()
        # Matched before the request runs, so `http.request.received` of a status poll already
        # names the polled task, as the explorer needs to find polls made under other ids.
        self.status_route = contract_route(status_route)
        self.status_pattern = _route_regex(status_route)
        self.task_id_param = task_id_param
        self.echo_header = echo_header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter_ns()
        correlation = correlation_id_from(_header(scope, CORRELATION_ID_HEADER.encode()))
        trace = child_trace_context(_header(scope, TRACEPARENT_HEADER.encode()))
        method = scope.get("method", "GET")
        path = scope.get("path", "")
        route: str | None = None
        task_id: str | None = None
        poll = self.status_pattern.fullmatch(path) if method in ("GET", "HEAD") else None
        if poll is not None and self.task_id_param in poll.groupdict():
            # ASGI's `path` is already percent-decoded: the id as the route will see it.
            route, task_id = self.status_route, poll.group(self.task_id_param)
        # request.state.correlation_id, as the design notes' routes read it.
        state = scope.setdefault("state", {})
        state["correlation_id"] = correlation.id
        state["trace_context"] = trace
        token = bind(LogContext(correlation_id=correlation.id, trace=trace))
        common = {
            F.HTTP_METHOD: method,
            F.URL_PATH: path,
            F.HTTP_ROUTE: route,
            F.TASK_ID: task_id,
        }
        client = scope.get("client")
        self.log.event(
            EVENTS.HTTP_REQUEST_RECEIVED,
            f"{method} {path}",
            {
                **common,
                F.IDEMPOTENCY_KEY: _printable_key(_header(scope, IDEMPOTENCY_HEADER.encode())),
                F.CLIENT_ADDRESS: client[0] if client else None,
                F.USER_AGENT: _header(scope, b"user-agent"),
            },
        )
        status: list[int] = []

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                if self.echo_header:
                    headers = list(message.get("headers") or [])
                    headers.append((b"x-request-id", correlation.id.encode()))
                    message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            self._completed(scope, common, status[0] if status else 500, started, exc)
            raise
        else:
            self._completed(scope, common, status[0] if status else 500, started, None)
        finally:
            unbind(token)

    def _completed(
        self, scope: Scope, common: dict[str, Any], status: int, started: int, exc: BaseException | None
    ) -> None:
        route, params = _routed(scope)
        task_id = params.get(self.task_id_param)
        fields = {
            **common,
            F.HTTP_ROUTE: route or common[F.HTTP_ROUTE],
            F.TASK_ID: common[F.TASK_ID] or (str(task_id) if task_id is not None else None),
            F.HTTP_STATUS: status,
            F.EVENT_DURATION: time.perf_counter_ns() - started,
            F.EVENT_OUTCOME: "failure" if status >= 500 else "success",
        }
        if exc is not None:
            fields[F.ERROR_TYPE] = type(exc).__name__
            fields[F.ERROR_MESSAGE] = str(exc) or type(exc).__name__
        level = 40 if status >= 500 else 20
        self.log.event(
            EVENTS.HTTP_REQUEST_COMPLETED,
            f"{common[F.HTTP_METHOD]} {common[F.URL_PATH]} → {status}",
            fields,
            level=level,
        )
