/**
 * Trace → rows: the waterfall flattened (after jaeger-ui's generateRowStates). One row per
 * stage, indented by depth, with offsets from the trace start so any view can draw bars to
 * scale. The views never look at log records to decide what to draw; they only read rows.
 */

import { EVENTS } from '../../contract/vocabulary.ts';
import { formatClock, formatDuration, shortId } from './fields.ts';
import { clientStatus } from './steps/outcome.ts';
import { queueWaitFrom } from './steps/skew.ts';
import type { Duplicate, Row, TaskTrace, Trace } from './types.ts';

/** Markers, plain characters so they survive NO_COLOR and copy-paste. */
export const MARKERS = {
  duplicate: '⊘',
  incoming: '⇐',
  stall: '⚠',
  redelivered: '↻',
  gap: '∅',
  error: '✗',
  ok: '✓',
} as const;

function words(kind: string): string {
  return kind.replaceAll('_', ' ');
}

function duplicateRow(trace: Trace, dup: Duplicate, depth: number, key: string): Row {
  const offset = dup.at - trace.startedAt;
  const incoming = dup.direction === 'incoming';
  const target = incoming
    ? { correlationId: dup.correlationId, taskId: dup.taskId }
    : { correlationId: dup.originalCorrelationId, taskId: dup.originalTaskId };
  const pointer = incoming
    ? `from request ${shortId(dup.correlationId ?? '?', 16)}${dup.taskId ? ` (task ${shortId(dup.taskId, 14)})` : ''}`
    : `original task ${shortId(dup.originalTaskId ?? '?', 14)} (request ${shortId(dup.originalCorrelationId ?? '?', 16)})`;
  const extra = dup.lockResource ? ` · lock ${dup.lockResource}` : '';
  return {
    key,
    kind: 'duplicate',
    depth,
    label: `${words(dup.kind)} → ${pointer}${extra}`,
    lane: trace.lines[dup.lineId]?.instance ?? '?',
    start: offset,
    end: offset,
    isError: false,
    marker: incoming ? MARKERS.incoming : MARKERS.duplicate,
    original: target,
    note: dup.idempotencyKey ? `key ${dup.idempotencyKey}` : undefined,
    lineIds: [dup.lineId],
  };
}

function taskEnd(trace: Trace, task: TaskTrace): number {
  let end = task.endedAt ?? task.enqueuedAt ?? trace.startedAt;
  for (const a of task.attempts) end = Math.max(end, a.endedAt ?? trace.endedAt, a.retryAt ?? end);
  return end;
}

function taskRows(trace: Trace, task: TaskTrace, depth: number, shifted: ReadonlyMap<string, number>): Row[] {
  const rows: Row[] = [];
  const t0 = trace.startedAt;
  const id = task.taskId;
  const note = (lane: string): string | undefined => {
    const shift = shifted.get(lane);
    return shift === undefined ? undefined : `clock ${shift > 0 ? '+' : ''}${formatDuration(shift)} (skew corrected)`;
  };
  const failed = task.outcome === 'failed' || task.outcome === 'dead_lettered';
  const start = task.enqueuedAt ?? task.attempts[0]?.startedAt ?? t0;
  rows.push({
    key: `task:${id}`,
    kind: 'task',
    depth,
    label: `task ${id}${task.taskType ? ` · ${task.taskType}` : ''} · ${words(task.outcome)}`,
    lane: task.queue ?? '',
    start: start - t0,
    end: taskEnd(trace, task) - t0,
    isError: failed,
    marker: failed ? MARKERS.error : task.outcome === 'succeeded' ? MARKERS.ok : undefined,
    original: undefined,
    note: undefined,
    lineIds: task.lineIds,
  });
  if (task.enqueuedAt !== undefined) {
    const lane = task.enqueueLineId === undefined ? 'api' : (trace.lines[task.enqueueLineId]?.instance ?? 'api');
    rows.push({
      key: `enqueue:${id}`,
      kind: 'enqueue',
      depth: depth + 1,
      label: `enqueued${task.queue ? ` on ${task.queue}` : ''}${task.priority ? ` (priority ${task.priority})` : ''}`,
      lane,
      start: task.enqueuedAt - t0,
      end: task.enqueuedAt - t0,
      isError: false,
      marker: undefined,
      original: undefined,
      note: note(lane),
      lineIds: task.enqueueLineId === undefined ? [] : [task.enqueueLineId],
    });
  }
  const first = task.attempts[0];
  if (task.enqueuedAt !== undefined && first) {
    // A fast worker may start the job before the API wrote its enqueue line (written once
    // BullMQ's add returned): the wait counts from the job's own enqueue instant.
    const enqueueLine = task.enqueueLineId === undefined ? undefined : trace.lines[task.enqueueLineId];
    const startLine = trace.lines[first.lineIds[0] ?? -1];
    const waitFrom = Math.min(
      first.startedAt,
      enqueueLine
        ? queueWaitFrom(enqueueLine, startLine?.action === EVENTS.TASK_STARTED ? startLine : undefined)
        : task.enqueuedAt,
    );
    rows.push({
      key: `wait:${id}`,
      kind: 'queue_wait',
      depth: depth + 1,
      label: `queue wait${task.queue ? ` · ${task.queue}` : ''} · ${formatDuration(first.startedAt - waitFrom)}`,
      lane: task.queue ?? 'queue',
      start: waitFrom - t0,
      end: first.startedAt - t0,
      isError: false,
      marker: undefined,
      original: undefined,
      note: undefined,
      lineIds: [],
    });
  }
  task.attempts.forEach((attempt, i) => {
    const previous = task.attempts[i - 1];
    if (previous) {
      const from = previous.endedAt ?? previous.startedAt;
      const backoff = previous.retryDelayMs;
      const stalled = previous.result === 'stalled' || previous.result === 'lost';
      rows.push({
        key: `between:${id}:${i}`,
        kind: stalled ? 'stall' : 'backoff',
        depth: depth + 1,
        label: stalled
          ? `${previous.instance} went silent; redelivered to ${attempt.instance} after ${formatDuration(attempt.startedAt - previous.startedAt)}`
          : `backoff ${backoff === undefined ? '' : `${formatDuration(backoff)} `}+ queue wait · ${formatDuration(attempt.startedAt - from)}`,
        lane: task.queue ?? 'queue',
        start: from - t0,
        end: attempt.startedAt - t0,
        isError: false,
        marker: stalled ? MARKERS.stall : undefined,
        original: undefined,
        note: undefined,
        lineIds: [],
      });
    }
    const end = attempt.endedAt ?? trace.endedAt;
    const result =
      attempt.result === 'failed'
        ? `failed: ${attempt.failure ?? '?'}`
        : attempt.result === 'lost'
          ? 'never finished (worker died?)'
          : attempt.result;
    const duration =
      attempt.durationMs ?? (attempt.endedAt === undefined ? undefined : attempt.endedAt - attempt.startedAt);
    rows.push({
      key: `attempt:${id}:${i}`,
      kind: 'attempt',
      depth: depth + 1,
      label: `attempt ${attempt.number} · ${attempt.instance}${duration === undefined ? '' : ` · ${formatDuration(duration)}`} · ${result}`,
      lane: attempt.instance,
      start: attempt.startedAt - t0,
      end: end - t0,
      isError: attempt.result !== 'succeeded' && attempt.result !== 'running',
      marker: attempt.redelivered ? MARKERS.redelivered : attempt.result === 'stalled' ? MARKERS.stall : undefined,
      original: undefined,
      note: note(attempt.instance),
      lineIds: attempt.lineIds,
    });
    const lineSet = new Set(attempt.lineIds);
    trace.duplicates
      .filter((d) => d.direction === 'blocked' && d.taskId === id && lineSet.has(d.lineId))
      .forEach((d, j) => {
        rows.push(duplicateRow(trace, d, depth + 2, `dup:${id}:${i}:${j}`));
      });
  });
  // Duplicates of this task not inside any attempt (logged before start, say) still show.
  const inAttempts = new Set(task.attempts.flatMap((a) => a.lineIds));
  trace.duplicates
    .filter((d) => d.direction === 'blocked' && d.taskId === id && !inAttempts.has(d.lineId))
    .forEach((d, j) => {
      rows.push(duplicateRow(trace, d, depth + 1, `dup:${id}:x:${j}`));
    });
  if (task.outcome === 'succeeded' && task.endedAt !== undefined) {
    rows.push(
      point(
        `done:${id}`,
        'completion',
        depth + 1,
        `completed · succeeded at ${formatClock(task.endedAt)}`,
        task.attempts.at(-1)?.instance ?? '',
        task.endedAt - t0,
        false,
        MARKERS.ok,
      ),
    );
  }
  if (task.outcome === 'failed' && task.endedAt !== undefined) {
    rows.push(
      point(
        `done:${id}`,
        'completion',
        depth + 1,
        `failed for good at ${formatClock(task.endedAt)}`,
        task.attempts.at(-1)?.instance ?? '',
        task.endedAt - t0,
        true,
        MARKERS.error,
      ),
    );
  }
  if (task.deadLetteredAt !== undefined) {
    rows.push(
      point(
        `dlq:${id}`,
        'dead_letter',
        depth + 1,
        `dead-lettered at ${formatClock(task.deadLetteredAt)}`,
        'dead-letter',
        task.deadLetteredAt - t0,
        true,
        MARKERS.error,
      ),
    );
  }
  trace.gaps
    .filter((g) => g.taskId === id)
    .forEach((gap, j) => {
      const at = (gap.at ?? start) - t0;
      rows.push({
        ...point(`gap:${id}:${j}`, 'gap', depth + 1, gap.message, '', at, true, MARKERS.gap),
        end: trace.endedAt - t0,
      });
    });
  task.polls.forEach((poll, j) => {
    const ms = poll.durationMs ?? 0;
    rows.push({
      key: `poll:${id}:${j}`,
      kind: 'poll',
      depth: depth + 1,
      label: `status poll → ${poll.status ?? '?'}${poll.correlationId && poll.correlationId !== trace.correlationId ? ` (request ${shortId(poll.correlationId, 16)})` : ''}`,
      lane: 'client',
      start: poll.at - t0,
      end: poll.at + ms - t0,
      isError: (poll.status ?? 0) >= 500,
      marker: undefined,
      original: undefined,
      note: undefined,
      lineIds: poll.lineIds,
    });
  });
  const waiting = trace.pending?.byTask[id];
  if (waiting !== undefined && waiting > 0) {
    // Where the polls still loading will go: after the last one loaded, until the trace's end.
    const from = task.polls.at(-1)?.at ?? start;
    rows.push({
      ...point(`pending:${id}`, 'pending', depth + 1, loadingLabel(waiting), 'client', from - t0, false, undefined),
      end: trace.endedAt - t0,
    });
  }
  return rows;
}

function loadingLabel(polls: number): string {
  return `loading ${polls.toLocaleString('en-US')} more status poll${polls === 1 ? '' : 's'}…`;
}

function point(
  key: string,
  kind: Row['kind'],
  depth: number,
  label: string,
  lane: string,
  at: number,
  isError: boolean,
  marker: string | undefined,
): Row {
  return {
    key,
    kind,
    depth,
    label,
    lane,
    start: at,
    end: at,
    isError,
    marker,
    original: undefined,
    note: undefined,
    lineIds: [],
  };
}

/** Flatten a trace into waterfall rows, in display order. */
export function traceToRows(trace: Trace): Row[] {
  const rows: Row[] = [];
  const t0 = trace.startedAt;
  const shifted = new Map(trace.skew.map((s) => [s.instance, s.shiftMs]));
  const tasksById = new Map(trace.tasks.map((t) => [t.taskId, t]));
  for (const request of trace.requests) {
    const status = clientStatus(request);
    const lineSet = new Set(request.lineIds);
    const tasks = request.taskIds.map((id) => tasksById.get(id)).filter((t): t is TaskTrace => t !== undefined);
    const start = Math.min(
      request.nginx?.startedAt ?? Number.POSITIVE_INFINITY,
      request.receivedAt ?? Number.POSITIVE_INFINITY,
      ...tasks.map((t) => t.enqueuedAt ?? t.attempts[0]?.startedAt ?? Number.POSITIVE_INFINITY),
    );
    const from = Number.isFinite(start) ? start : t0;
    const end = Math.max(
      from,
      request.nginx?.endedAt ?? 0,
      request.respondedAt ?? 0,
      ...tasks.map((t) => taskEnd(trace, t)),
    );
    const http =
      request.method || request.path
        ? `${request.method ?? '?'} ${request.route ?? request.path ?? '?'} → ${status ?? 'no response'}`
        : 'no HTTP lines';
    rows.push({
      key: `request:${request.index}`,
      kind: 'request',
      depth: 0,
      label: `request ${request.index} · ${http}${request.idempotencyKey ? ` · key ${request.idempotencyKey}` : ''}`,
      lane: 'client',
      start: from - t0,
      end: end - t0,
      isError: (status ?? 0) >= 500,
      marker: undefined,
      original: undefined,
      note: undefined,
      lineIds: request.lineIds,
    });
    if (request.nginx) {
      const n = request.nginx;
      rows.push({
        key: `nginx:${request.index}`,
        kind: 'nginx',
        depth: 1,
        label: `nginx → ${n.status ?? '?'} · ${formatDuration(n.endedAt - n.startedAt)}${n.upstream ? ` · upstream ${n.upstream}` : ''}`,
        lane: 'nginx',
        start: n.startedAt - t0,
        end: n.endedAt - t0,
        isError: (n.status ?? 0) >= 500,
        marker: undefined,
        original: undefined,
        note: undefined,
        lineIds: [n.lineId],
      });
    }
    for (const [j, gap] of trace.gaps
      .filter((g) => g.kind === 'no_api_line' && g.at === request.nginx?.endedAt)
      .entries()) {
      rows.push(
        point(
          `gap:request:${request.index}:${j}`,
          'gap',
          1,
          gap.message,
          'nginx',
          (gap.at ?? t0) - t0,
          true,
          MARKERS.gap,
        ),
      );
    }
    if (request.apiInstance !== undefined) {
      const received = request.receivedAt ?? request.respondedAt ?? from;
      const responded = request.respondedAt ?? trace.endedAt;
      rows.push({
        key: `api:${request.index}`,
        kind: 'api',
        depth: 1,
        label: `${request.apiInstance} ${request.method ?? '?'} ${request.route ?? request.path ?? '?'} → ${request.status ?? 'no response'}${request.apiDurationMs === undefined ? '' : ` · ${formatDuration(request.apiDurationMs)}`}`,
        lane: request.apiInstance,
        start: received - t0,
        end: responded - t0,
        isError: (request.status ?? 0) >= 500 || request.respondedAt === undefined,
        marker: undefined,
        original: undefined,
        note: shifted.has(request.apiInstance)
          ? `clock ${formatDuration(shifted.get(request.apiInstance) ?? 0)} (skew corrected)`
          : undefined,
        lineIds: request.lineIds.filter((id) => trace.lines[id]?.service === 'api'),
      });
    }
    trace.duplicates
      .filter((d) => d.direction === 'blocked' && d.taskId === undefined && lineSet.has(d.lineId))
      .forEach((d, j) => {
        rows.push(duplicateRow(trace, d, 1, `dup:request:${request.index}:${j}`));
      });
    for (const task of tasks) rows.push(...taskRows(trace, task, 1, shifted));
  }
  const incoming = trace.duplicates
    .filter((d) => d.direction === 'incoming')
    .sort((a, b) => (a.idempotencyKey ?? '\uffff').localeCompare(b.idempotencyKey ?? '\uffff') || a.at - b.at);
  const byKey = new Map<string, Duplicate[]>();
  for (const dup of incoming) {
    const key = dup.idempotencyKey ?? `(${words(dup.kind)})`;
    byKey.set(key, [...(byKey.get(key) ?? []), dup]);
  }
  for (const [key, dups] of byKey) {
    const first = dups[0]?.at ?? t0;
    const last = dups.at(-1)?.at ?? t0;
    rows.push({
      key: `dupgroup:${key}`,
      kind: 'duplicate',
      depth: 0,
      label: `${dups.length} duplicate(s) blocked pointing here · ${key.startsWith('(') ? key : `key ${key}`}`,
      lane: 'client',
      start: first - t0,
      end: last - t0,
      isError: false,
      marker: MARKERS.incoming,
      original: undefined,
      note: undefined,
      lineIds: dups.map((d) => d.lineId),
    });
    dups.forEach((dup, j) => {
      rows.push(duplicateRow(trace, dup, 1, `dupin:${key}:${j}`));
    });
  }
  trace.gaps
    .filter((g) => g.kind === 'shipper_lag')
    .forEach((gap, j) => {
      rows.push(point(`gap:lag:${j}`, 'gap', 0, gap.message, '', (gap.at ?? trace.endedAt) - t0, false, MARKERS.gap));
    });
  const pending = trace.pending;
  if (pending) {
    // Polls the source could not put to a task of this trace by count still arrive: say so once.
    let placed = 0;
    for (const n of Object.values(pending.byTask)) placed += n;
    const rest = pending.polls - placed;
    if (rest > 0 || (pending.polls === 0 && placed === 0))
      rows.push(
        point(
          'pending',
          'pending',
          0,
          rest > 0 ? loadingLabel(rest) : 'loading status polls…',
          'client',
          trace.endedAt - t0,
          false,
          undefined,
        ),
      );
  }
  return rows;
}
