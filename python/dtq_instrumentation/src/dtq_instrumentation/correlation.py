"""Correlation ids and W3C trace context, judged exactly as contract/correlation-id.ts does.

A client's X-Request-ID is used as it is when it is 1 to 128 characters of [A-Za-z0-9._:-];
anything else is replaced by a fresh id (32 lowercase hex characters, nginx's $request_id
form) and never logged raw.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

CORRELATION_ID_HEADER = "x-request-id"
CORRELATION_ID_MAX_LENGTH = 128
CORRELATION_ID_PATTERN = re.compile(rf"[A-Za-z0-9._:-]{{1,{CORRELATION_ID_MAX_LENGTH}}}")

TRACEPARENT_HEADER = "traceparent"
# version-traceid-parentid-flags; version ff is forbidden, all-zero ids are invalid.
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")


def is_valid_correlation_id(value: object) -> bool:
    """True when a client-supplied value may be used as a correlation id as it is."""
    return isinstance(value, str) and CORRELATION_ID_PATTERN.fullmatch(value) is not None


def new_correlation_id() -> str:
    """A new correlation id: 32 lowercase hex characters."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class CorrelationId:
    """The id a request is logged under, and how it was obtained."""

    id: str
    generated: bool
    rejected: bool


def correlation_id_from(header_value: str | None) -> CorrelationId:
    """The client's id when valid, otherwise a fresh one (rejected: the client sent a bad one)."""
    if is_valid_correlation_id(header_value):
        return CorrelationId(header_value, generated=False, rejected=False)  # type: ignore[arg-type]
    return CorrelationId(new_correlation_id(), generated=True, rejected=bool(header_value))


@dataclass(frozen=True)
class TraceContext:
    """A W3C trace context: the trace, this process's span and its parent's."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    flags: str = "01"

    def traceparent(self) -> str:
        """The traceparent header naming this span as the parent of what it calls."""
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"


def parse_traceparent(value: str | None) -> tuple[str, str, str] | None:
    """(trace id, parent span id, flags) of a valid traceparent header, else None."""
    if not value:
        return None
    match = _TRACEPARENT.fullmatch(value.strip().lower())
    if match is None:
        return None
    version, trace_id, parent_id, flags = match.groups()
    if version == "ff" or trace_id == "0" * 32 or parent_id == "0" * 16:
        return None
    return trace_id, parent_id, flags


def child_trace_context(traceparent: str | None) -> TraceContext:
    """A new span continuing the caller's trace, or starting a trace when it sent none."""
    parsed = parse_traceparent(traceparent)
    span_id = secrets.token_hex(8)
    if parsed is None:
        return TraceContext(secrets.token_hex(16), span_id, None)
    trace_id, parent_id, flags = parsed
    return TraceContext(trace_id, span_id, parent_id, flags)
