/**
 * --json: the trace in the documented schema of docs/explorer-json.md (schema
 * "dtq-explore/trace@1"). Field names are snake_case like the log fields; times are ISO-8601
 * UTC strings; durations are milliseconds. Changing a name here means a new schema version.
 */
import { formatIso, isTime } from '../model/fields.ts';
import type { RequestSummary } from '../model/request-list.ts';
import type { Trace } from '../model/types.ts';

/** Schema identifier written into every trace document. */
export const TRACE_SCHEMA = 'dtq-explore/trace@1';
/** Schema identifier of the request list. */
export const LIST_SCHEMA = 'dtq-explore/requests@1';

function iso(ms: number | undefined): string | null {
  return isTime(ms) ? formatIso(ms) : null;
}

function orNull<T>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}

/** The trace as a JSON-ready object. */
export function traceToJson(trace: Trace, source: { kind: string; description: string }): Record<string, unknown> {
  return {
    schema: TRACE_SCHEMA,
    correlation_id: trace.correlationId,
    focus_task_id: orNull(trace.focusTaskId),
    source,
    task_ids: trace.tasks.map((t) => t.taskId),
    outcome: {
      status: trace.outcome.status,
      summary: trace.outcome.summary,
      divergence: orNull(trace.outcome.divergence),
    },
    in_flight: trace.inFlight,
    started_at: iso(trace.startedAt),
    ended_at: iso(trace.endedAt),
    requests: trace.requests.map((r) => ({
      index: r.index,
      method: orNull(r.method),
      path: orNull(r.path),
      route: orNull(r.route),
      status: orNull(r.status),
      api_instance: orNull(r.apiInstance),
      received_at: iso(r.receivedAt),
      responded_at: iso(r.respondedAt),
      api_duration_ms: orNull(r.apiDurationMs),
      nginx: r.nginx
        ? {
            started_at: iso(r.nginx.startedAt),
            ended_at: iso(r.nginx.endedAt),
            status: orNull(r.nginx.status),
            upstream: orNull(r.nginx.upstream),
          }
        : null,
      idempotency_key: orNull(r.idempotencyKey),
      trace_id: orNull(r.traceId),
      span_id: orNull(r.spanId),
      task_ids: r.taskIds,
    })),
    tasks: trace.tasks.map((t) => ({
      task_id: t.taskId,
      task_type: orNull(t.taskType),
      queue: orNull(t.queue),
      priority: orNull(t.priority),
      enqueued_at: iso(t.enqueuedAt),
      enqueued_by: orNull(t.enqueuedBy),
      already_enqueued: t.alreadyEnqueued.map((n) => ({ at: iso(n.at), correlation_id: orNull(n.correlationId) })),
      outcome: t.outcome,
      ended_at: iso(t.endedAt),
      dead_lettered_at: iso(t.deadLetteredAt),
      attempts: t.attempts.map((a) => ({
        number: a.number,
        instance: a.instance,
        started_at: iso(a.startedAt),
        ended_at: iso(a.endedAt),
        duration_ms: orNull(a.durationMs),
        queue_wait_ms: orNull(a.queueWaitMs),
        result: a.result,
        failure: orNull(a.failure),
        redelivered: a.redelivered,
        retry_delay_ms: orNull(a.retryDelayMs),
        lease: a.lease
          ? {
              lost_at: iso(a.lease.lostAt),
              paused_ms: orNull(a.lease.pausedMs),
              resumed_at: iso(a.lease.resumedAt),
              finish_refused: a.lease.finishRefusedAt !== undefined,
              finish_refused_at: iso(a.lease.finishRefusedAt),
            }
          : null,
        write: a.write
          ? { outcome: a.write.outcome, fencing_token: orNull(a.write.fencingToken), at: iso(a.write.at) }
          : null,
      })),
      polls: t.polls.map((p) => ({
        correlation_id: orNull(p.correlationId),
        at: iso(p.at),
        status: orNull(p.status),
        duration_ms: orNull(p.durationMs),
      })),
    })),
    duplicates: trace.duplicates.map((d) => ({
      kind: d.kind,
      event: d.action,
      direction: d.direction,
      at: iso(d.at),
      correlation_id: orNull(d.correlationId),
      task_id: orNull(d.taskId),
      original_task_id: orNull(d.originalTaskId),
      original_correlation_id: orNull(d.originalCorrelationId),
      idempotency_key: orNull(d.idempotencyKey),
      lock_resource: orNull(d.lockResource),
    })),
    takeovers: trace.takeovers.map((t) => ({
      direction: t.direction,
      at: iso(t.at),
      correlation_id: orNull(t.correlationId),
      original_correlation_id: orNull(t.originalCorrelationId),
      task_id: orNull(t.taskId),
      idempotency_key: orNull(t.idempotencyKey),
      claim_lost_at: iso(t.claimLostAt),
    })),
    gaps: trace.gaps.map((g) => ({ kind: g.kind, message: g.message, task_id: orNull(g.taskId), at: iso(g.at) })),
    skew: trace.skew.map((s) => ({ instance: s.instance, shift_ms: s.shiftMs, reason: s.reason })),
    warnings: trace.warnings,
    events: trace.lines.map((l) => ({
      at: iso(l.at),
      written_at: iso(l.writtenAt),
      service: l.service,
      instance: l.instance,
      action: l.action,
      source: l.source,
      line: l.record,
    })),
  };
}

/**
 * JSON text as `--json` prints it. JSON.stringify escapes C0 controls itself but writes DEL,
 * C1 controls (U+009B is CSI on some terminals), line separators and bidirectional overrides
 * raw; they are written as `\uNNNN` escapes here, which every JSON reader decodes to the same
 * string. Outside strings JSON text is ASCII, so the replacement only ever touches strings.
 */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2).replace(UNSAFE_IN_TERMINAL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

const UNSAFE_IN_TERMINAL = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The request list as a JSON-ready object. */
export function listToJson(
  list: readonly RequestSummary[],
  source: { kind: string; description: string },
): Record<string, unknown> {
  return {
    schema: LIST_SCHEMA,
    source,
    requests: list.map((s) => ({
      correlation_id: s.correlationId,
      at: iso(s.at),
      method: orNull(s.method),
      route: orNull(s.route),
      status: orNull(s.status),
      duration_ms: orNull(s.durationMs),
      total_ms: s.totalMs,
      tasks: s.tasks,
      task_ids: s.taskIds,
      task_type: orNull(s.taskType),
      queue: orNull(s.queue),
      worker: orNull(s.worker),
      workers: s.workers,
      state: orNull(s.state),
      attempts: s.attempts,
      reason: orNull(s.reason),
      duplicates: s.duplicates,
      errors: s.errors,
      requests: s.requests,
      failed: s.failed,
    })),
  };
}
