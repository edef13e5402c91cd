/**
 * The API's span of each request (W3C Trace Context, contract/trace-context.ts): a child of the
 * caller's span when its `traceparent` is valid (through nginx, nginx's span), else the root of
 * a new trace. It is started where Fastify makes the request's logger, so every line of the
 * request carries `trace.id`, `span.id` and `parent.id`; the task service hands it to the job.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { type SpanContext, startSpan, TRACEPARENT_HEADER } from '../../contract/trace-context.ts';
import { F } from '../../contract/vocabulary.ts';

// Keyed by the raw request: Fastify makes the logger from it before the request object exists.
const spans = new WeakMap<IncomingMessage, SpanContext>();

/** The request's span, started on first use (one span per request however often it is asked). */
export function requestSpan(raw: IncomingMessage): SpanContext {
  let span = spans.get(raw);
  if (span === undefined) {
    span = startSpan(raw.headers[TRACEPARENT_HEADER]);
    spans.set(raw, span);
  }
  return span;
}

/** The span of a Fastify request. */
export function spanOf(request: FastifyRequest): SpanContext {
  return requestSpan(request.raw);
}

/** The log fields of a span: trace.id, span.id, and parent.id when a caller sent one. */
export function spanFields(span: SpanContext): Record<string, string> {
  return span.parentId === undefined
    ? { [F.TRACE_ID]: span.traceId, [F.SPAN_ID]: span.spanId }
    : { [F.TRACE_ID]: span.traceId, [F.SPAN_ID]: span.spanId, [F.PARENT_ID]: span.parentId };
}
