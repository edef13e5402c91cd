/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/), the `traceparent` header, shared by
 * nginx's config and the API so a header is judged the same way at both doors. A valid header
 * continues the caller's trace; anything else (absent, malformed, hostile) starts a new one and
 * is never forwarded, echoed or logged.
 *
 * Accepted: `<version>-<trace-id>-<parent-id>-<flags>`, lowercase hex only. Version `ff` is
 * invalid; version `00` must be exactly 55 characters; a later version may append
 * `-<printable ASCII>` (the spec's forward-compatibility rule), which is ignored. An all-zero
 * trace id or parent id is invalid.
 */
import { randomFillSync } from 'node:crypto';

/** The header that carries the trace context. */
export const TRACEPARENT_HEADER = 'traceparent';

/**
 * The accepted form, with named groups `tp_trace`, `tp_parent`, `tp_flags`. nginx's `map`
 * embeds the same source (workload/nginx), and PCRE reads its lookaheads and groups as V8 does.
 */
export const TRACEPARENT_PATTERN =
  /^(?:00(?=.{53}$)|(?!00|ff)[0-9a-f]{2})-(?<tp_trace>(?!0{32})[0-9a-f]{32})-(?<tp_parent>(?!0{16})[0-9a-f]{16})-(?<tp_flags>[0-9a-f]{2})(?:-[!-~]*)?$/;

/** A trace id: 32 lowercase hex characters, not all zero. */
export const TRACE_ID_PATTERN = /^(?!0{32})[0-9a-f]{32}$/;

/** A span id: 16 lowercase hex characters, not all zero. */
export const SPAN_ID_PATTERN = /^(?!0{16})[0-9a-f]{16}$/;

/** Longest traceparent value read at all: past this, the header is not parsed (a new trace starts). */
export const TRACEPARENT_MAX_LENGTH = 512;

/** What a valid traceparent says: the caller's trace, its span and its flags. */
export interface TraceParent {
  readonly traceId: string;
  /** The caller's span id: the parent of the span that receives the header. */
  readonly parentId: string;
  /** Two hex digits; bit 0 is "sampled". */
  readonly flags: string;
}

/** One span of a trace: its own id, and its parent's when a caller sent one. */
export interface SpanContext {
  readonly traceId: string;
  readonly spanId: string;
  /** The caller's span id, absent when this span started the trace. */
  readonly parentId?: string;
  readonly flags: string;
}

/** Flags of a trace this process starts: sampled (every line of every request is logged). */
export const NEW_TRACE_FLAGS = '01';

/** The parsed header, or undefined when it is absent, repeated, malformed or too long. */
export function parseTraceparent(value: unknown): TraceParent | undefined {
  if (typeof value !== 'string' || value.length > TRACEPARENT_MAX_LENGTH) return undefined;
  const groups = TRACEPARENT_PATTERN.exec(value)?.groups;
  if (groups === undefined) return undefined;
  return { traceId: groups.tp_trace as string, parentId: groups.tp_parent as string, flags: groups.tp_flags as string };
}

/** The `traceparent` value that names `span` as the parent of whatever receives it (version 00). */
export function formatTraceparent(span: Pick<SpanContext, 'traceId' | 'spanId' | 'flags'>): string {
  return `00-${span.traceId}-${span.spanId}-${span.flags}`;
}

/**
 * A new span: a child of the caller's span when `incoming` is a valid traceparent, else the
 * root of a new trace. Its id is fresh either way.
 */
export function startSpan(incoming: unknown): SpanContext {
  const parent = parseTraceparent(incoming);
  if (parent === undefined) return { traceId: newTraceId(), spanId: newSpanId(), flags: NEW_TRACE_FLAGS };
  return { traceId: parent.traceId, spanId: newSpanId(), parentId: parent.parentId, flags: parent.flags };
}

/** A fresh trace id (16 random bytes as hex; all zero is invalid and drawn again). */
export function newTraceId(): string {
  return nonZeroHex(16);
}

/** A fresh span id (8 random bytes as hex; all zero is invalid and drawn again). */
export function newSpanId(): string {
  return nonZeroHex(8);
}

// Random bytes come from a pool refilled 4 KiB at a time, as Node's own randomUUID() caches its
// entropy: one CSPRNG call per 512 span ids instead of one (a few microseconds) per request.
const POOL = Buffer.alloc(4096);
let poolOffset = POOL.length;

function nonZeroHex(bytes: number): string {
  for (;;) {
    if (poolOffset + bytes > POOL.length) {
      randomFillSync(POOL);
      poolOffset = 0;
    }
    const start = poolOffset;
    poolOffset += bytes;
    for (let i = start; i < poolOffset; i++) if (POOL[i] !== 0) return POOL.toString('hex', start, poolOffset);
  }
}
