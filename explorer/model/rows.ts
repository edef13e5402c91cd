/**
 * Trace → rows: the waterfall flattened (after jaeger-ui's generateRowStates). One row per
 * stage, indented by depth, with offsets from the trace start so any view can draw bars to
 * scale. The views never look at log records to decide what to draw; they only read rows.
 */

import { EVENTS } from '../../contract/vocabulary.ts';
import { type DuplicateGroupKey, groupDuplicates } from './duplicate-groups.ts';
import { formatClock, formatDuration, shortId } from './fields.ts';
import { clientStatus } from './steps/outcome.ts';
import { queueWaitFrom } from './steps/skew.ts';
import type { Attempt, Duplicate, RequestBranch, Row, Takeover, TaskTrace, Trace } from './types.ts';

/** Markers, plain characters so they survive NO_COLOR and copy-paste. */
export const MARKERS = {
  duplicate: '⊘',
  incoming: '⇐',
  stall: '⚠',
  redelivered: '↻',
  resumed: '↺',
  takeover: '⇆',
  gap: '∅',
  error: '✗',
  ok: '✓',
} as const;

/** What a row must say; everything else has a default (a point, no error, no marker, no lines). */
type RowSpec = Pick<Row, 'key' | 'kind' | 'depth' | 'label' | 'lane' | 'start'> &
  Partial<Pick<Row, 'end' | 'isError' | 'marker' | 'original' | 'note' | 'lineIds'>>;

/** The one row factory. Offsets are from the trace start; `end` defaults to `start` (a point). */
export function row(spec: RowSpec): Row {
  return {
    key: spec.key,
    kind: spec.kind,
    depth: spec.depth,
    label: spec.label,
    lane: spec.lane,
    start: spec.start,
    end: spec.end ?? spec.start,
    isError: spec.isError ?? false,
    marker: spec.marker,
    original: spec.original,
    note: spec.note,
    lineIds: spec.lineIds ?? [],
  };
}

/** What rows of one trace share: its start, its lines and its clock corrections. */
interface RowContext {
  readonly trace: Trace;
  readonly t0: number;
  readonly shifts: ReadonlyMap<string, number>;
}

function words(kind: string): string {
  return kind.replaceAll('_', ' ');
}

/** The note on a row whose process had its clock corrected. */
function clockNote(context: RowContext, lane: string): string | undefined {
  const shift = context.shifts.get(lane);
  return shift === undefined ? undefined : `clock ${shift > 0 ? '+' : ''}${formatDuration(shift)} (skew corrected)`;
}

function duplicateRow(context: RowContext, dup: Duplicate, depth: number, key: string): Row {
  const incoming = dup.direction === 'incoming';
  const pointer = incoming
    ? `from request ${shortId(dup.correlationId ?? '?', 16)}${dup.taskId ? ` (task ${shortId(dup.taskId, 14)})` : ''}`
    : `original task ${shortId(dup.originalTaskId ?? '?', 14)} (request ${shortId(dup.originalCorrelationId ?? '?', 16)})`;
  const extra = dup.lockResource ? ` · lock ${dup.lockResource}` : '';
  return row({
    key,
    kind: 'duplicate',
    depth,
    label: `${words(dup.kind)} → ${pointer}${extra}`,
    lane: context.trace.lines[dup.lineId]?.instance ?? '?',
    start: dup.at - context.t0,
    marker: incoming ? MARKERS.incoming : MARKERS.duplicate,
    original: incoming
      ? { correlationId: dup.correlationId, taskId: dup.taskId }
      : { correlationId: dup.originalCorrelationId, taskId: dup.originalTaskId },
    note: dup.idempotencyKey ? `key ${dup.idempotencyKey}` : undefined,
    lineIds: [dup.lineId],
  });
}

function taskEnd(trace: Trace, task: TaskTrace): number {
  let end = task.endedAt ?? task.enqueuedAt ?? trace.startedAt;
  for (const a of task.attempts) end = Math.max(end, a.endedAt ?? trace.endedAt, a.retryAt ?? end);
  return end;
}

function taskStart(task: TaskTrace, t0: number): number {
  return task.enqueuedAt ?? task.attempts[0]?.startedAt ?? t0;
}

function taskRow(context: RowContext, task: TaskTrace, depth: number): Row {
  const failed = task.outcome === 'failed' || task.outcome === 'dead_lettered';
  return row({
    key: `task:${task.taskId}`,
    kind: 'task',
    depth,
    label: `task ${task.taskId}${task.taskType ? ` · ${task.taskType}` : ''} · ${words(task.outcome)}`,
    lane: task.queue ?? '',
    start: taskStart(task, context.t0) - context.t0,
    end: taskEnd(context.trace, task) - context.t0,
    isError: failed,
    marker: failed ? MARKERS.error : task.outcome === 'succeeded' ? MARKERS.ok : undefined,
    lineIds: task.lineIds,
  });
}

/** The request that enqueued a task, when it is not this trace's: `by request …`. */
function byOtherRequest(trace: Trace, task: TaskTrace): string {
  const by = task.enqueuedBy;
  return by === undefined || by === trace.correlationId ? '' : ` by request ${shortId(by, 16)}`;
}

function enqueueRow(context: RowContext, task: TaskTrace, depth: number, enqueuedAt: number): Row {
  const { trace, t0 } = context;
  const lane = task.enqueueLineId === undefined ? 'api' : (trace.lines[task.enqueueLineId]?.instance ?? 'api');
  return row({
    key: `enqueue:${task.taskId}`,
    kind: 'enqueue',
    depth,
    label: `enqueued${task.queue ? ` on ${task.queue}` : ''}${task.priority ? ` (priority ${task.priority})` : ''}${byOtherRequest(trace, task)}`,
    lane,
    start: enqueuedAt - t0,
    note: clockNote(context, lane),
    lineIds: task.enqueueLineId === undefined ? [] : [task.enqueueLineId],
  });
}

function queueWaitRow(context: RowContext, task: TaskTrace, depth: number, enqueuedAt: number): Row | undefined {
  const { trace, t0 } = context;
  const first = task.attempts[0];
  if (first === undefined) return undefined;
  // A fast worker may start the job before the API wrote its enqueue line (written once
  // BullMQ's add returned): the wait counts from the job's own enqueue instant.
  const enqueueLine = task.enqueueLineId === undefined ? undefined : trace.lines[task.enqueueLineId];
  const startLine = trace.lines[first.lineIds[0] ?? -1];
  const waitFrom = Math.min(
    first.startedAt,
    enqueueLine
      ? queueWaitFrom(enqueueLine, startLine?.action === EVENTS.TASK_STARTED ? startLine : undefined)
      : enqueuedAt,
  );
  return row({
    key: `wait:${task.taskId}`,
    kind: 'queue_wait',
    depth,
    label: `queue wait${task.queue ? ` · ${task.queue}` : ''} · ${formatDuration(first.startedAt - waitFrom)}`,
    lane: task.queue ?? 'queue',
    start: waitFrom - t0,
    end: first.startedAt - t0,
  });
}

/** Rows of one attempt: the wait before it (after the first), the attempt, its duplicates. */
function attemptRows(context: RowContext, task: TaskTrace, i: number, depth: number): Row[] {
  const { trace, t0 } = context;
  const id = task.taskId;
  const attempt = task.attempts[i];
  if (attempt === undefined) return [];
  const rows: Row[] = [];
  const previous = task.attempts[i - 1];
  if (previous) {
    const from = previous.endedAt ?? previous.startedAt;
    const backoff = previous.retryDelayMs;
    const overtaken = previous.result === 'lease_lost';
    const stalled = overtaken || previous.result === 'stalled' || previous.result === 'lost';
    const silent = overtaken ? 'stopped renewing its lease' : 'went silent';
    // An overtaken attempt ends after the next one started: the redelivery follows its start.
    const stallFrom = overtaken ? previous.startedAt : from;
    rows.push(
      row({
        key: `between:${id}:${i}`,
        kind: stalled ? 'stall' : 'backoff',
        depth,
        label: stalled
          ? `${previous.instance} ${silent}; redelivered to ${attempt.instance} after ${formatDuration(attempt.startedAt - previous.startedAt)}`
          : `backoff ${backoff === undefined ? '' : `${formatDuration(backoff)} `}+ queue wait · ${formatDuration(attempt.startedAt - from)}`,
        lane: task.queue ?? 'queue',
        start: (stalled ? stallFrom : from) - t0,
        end: attempt.startedAt - t0,
        marker: stalled ? MARKERS.stall : undefined,
      }),
    );
  }
  const result =
    attempt.result === 'failed'
      ? `failed: ${attempt.failure ?? '?'}`
      : attempt.result === 'lost'
        ? 'never finished (worker died?)'
        : attempt.result === 'lease_lost'
          ? overtakenWords(attempt)
          : attempt.result;
  const contested = task.attempts.some((a) => a.result === 'lease_lost');
  const write = contested && attempt.result !== 'lease_lost' && attempt.write ? ` · ${writeWords(attempt.write)}` : '';
  const duration =
    attempt.durationMs ?? (attempt.endedAt === undefined ? undefined : attempt.endedAt - attempt.startedAt);
  rows.push(
    row({
      key: `attempt:${id}:${i}`,
      kind: 'attempt',
      depth,
      label: `attempt ${attempt.number} · ${attempt.instance}${duration === undefined ? '' : ` · ${formatDuration(duration)}`} · ${result}${write}`,
      lane: attempt.instance,
      start: attempt.startedAt - t0,
      end: (attempt.endedAt ?? trace.endedAt) - t0,
      isError: attempt.result !== 'succeeded' && attempt.result !== 'running',
      marker: attempt.redelivered
        ? MARKERS.redelivered
        : attempt.result === 'stalled'
          ? MARKERS.stall
          : attempt.result === 'lease_lost'
            ? MARKERS.resumed
            : undefined,
      note: clockNote(context, attempt.instance),
      lineIds: attempt.lineIds,
    }),
  );
  if (attempt.result === 'lease_lost') rows.push(...leaseRows(context, attempt, `${id}:${i}`, depth + 1));
  const lineSet = new Set(attempt.lineIds);
  trace.duplicates
    .filter((d) => d.direction === 'blocked' && d.taskId === id && lineSet.has(d.lineId))
    .forEach((d, j) => {
      rows.push(duplicateRow(context, d, depth + 1, `dup:${id}:${i}:${j}`));
    });
  return rows;
}

/** A fenced write in words: `result written (token 2)`, `result write rejected (token 1)`. */
function writeWords(write: NonNullable<Attempt['write']>): string {
  const token = write.fencingToken === undefined ? '' : ` (token ${write.fencingToken})`;
  return write.outcome === 'written' ? `result written${token}` : `result write rejected${token}`;
}

/** What an overtaken attempt did, as its lines tell: `lease lost (paused 12 s) · resumed · …`. */
function overtakenWords(attempt: Attempt): string {
  const lease = attempt.lease;
  const paused = lease?.pausedMs === undefined ? '' : ` (process stood still ${formatDuration(lease.pausedMs)})`;
  const parts = [`lease lost${paused}`];
  if (lease?.resumedAt !== undefined) parts.push('resumed');
  if (attempt.write) parts.push(writeWords(attempt.write));
  if (lease?.finishRefusedAt !== undefined) parts.push('its end refused by the queue');
  return parts.join(' · ');
}

/** Point rows of an overtaken attempt: lease lost, resumed, its write, its refused end. */
function leaseRows(context: RowContext, attempt: Attempt, key: string, depth: number): Row[] {
  const t0 = context.t0;
  const lease = attempt.lease;
  // Each at the moment the worker wrote it: a frozen worker finds its lease lost only on resuming.
  const points: { at: number | undefined; label: string; isError: boolean; marker: string | undefined }[] = [
    {
      at: lease?.lostAt,
      label: 'found its lease lost: the job may run elsewhere',
      isError: true,
      marker: MARKERS.stall,
    },
    {
      at: lease?.resumedAt,
      label:
        lease?.pausedMs === undefined
          ? 'still running after the job was taken from it'
          : `resumed after standing still ${formatDuration(lease.pausedMs)}`,
      isError: false,
      marker: MARKERS.resumed,
    },
    {
      at: attempt.write?.at,
      label: attempt.write ? writeWords(attempt.write) : '',
      isError: attempt.write?.outcome === 'rejected',
      marker: attempt.write?.outcome === 'written' ? MARKERS.ok : MARKERS.error,
    },
    {
      at: lease?.finishRefusedAt,
      label: 'its end refused by the queue: the job belongs to a newer attempt',
      isError: true,
      marker: MARKERS.error,
    },
  ];
  return points
    .filter((p): p is typeof p & { at: number } => p.at !== undefined)
    .sort((a, b) => a.at - b.at)
    .map((p, j) =>
      row({
        key: `lease:${key}:${j}`,
        kind: 'lease',
        depth,
        label: p.label,
        lane: attempt.instance,
        start: p.at - t0,
        isError: p.isError,
        marker: p.marker,
      }),
    );
}

/** The point rows that end a task: completed, failed for good, dead-lettered. */
function endRows(context: RowContext, task: TaskTrace, depth: number): Row[] {
  const t0 = context.t0;
  const id = task.taskId;
  const lane = task.attempts.at(-1)?.instance ?? '';
  const rows: Row[] = [];
  if (task.outcome === 'succeeded' && task.endedAt !== undefined)
    rows.push(
      row({
        key: `done:${id}`,
        kind: 'completion',
        depth,
        label: `completed · succeeded at ${formatClock(task.endedAt)}`,
        lane,
        start: task.endedAt - t0,
        marker: MARKERS.ok,
      }),
    );
  if (task.outcome === 'failed' && task.endedAt !== undefined)
    rows.push(
      row({
        key: `done:${id}`,
        kind: 'completion',
        depth,
        label: `failed for good at ${formatClock(task.endedAt)}`,
        lane,
        start: task.endedAt - t0,
        isError: true,
        marker: MARKERS.error,
      }),
    );
  if (task.deadLetteredAt !== undefined)
    rows.push(
      row({
        key: `dlq:${id}`,
        kind: 'dead_letter',
        depth,
        label: `dead-lettered at ${formatClock(task.deadLetteredAt)}`,
        lane: 'dead-letter',
        start: task.deadLetteredAt - t0,
        isError: true,
        marker: MARKERS.error,
      }),
    );
  return rows;
}

function taskRows(context: RowContext, task: TaskTrace, depth: number): Row[] {
  const { trace, t0 } = context;
  const id = task.taskId;
  const start = taskStart(task, t0);
  const rows: Row[] = [taskRow(context, task, depth)];
  if (task.enqueuedAt !== undefined) {
    rows.push(enqueueRow(context, task, depth + 1, task.enqueuedAt));
    const wait = queueWaitRow(context, task, depth + 1, task.enqueuedAt);
    if (wait) rows.push(wait);
  }
  task.alreadyEnqueued.forEach((noOp, j) => {
    const who =
      noOp.correlationId === trace.correlationId ? '' : ` of request ${shortId(noOp.correlationId ?? '?', 16)}`;
    rows.push(
      row({
        key: `noop:${id}:${j}`,
        kind: 'enqueue',
        depth: depth + 1,
        label: `enqueue${who} was a no-op: the job existed already (enqueued ${byOtherRequest(trace, task).trim() || 'by this request'})`,
        lane: trace.lines[noOp.lineId]?.instance ?? 'api',
        start: noOp.at - t0,
        lineIds: [noOp.lineId],
      }),
    );
  });
  task.attempts.forEach((_, i) => {
    rows.push(...attemptRows(context, task, i, depth + 1));
  });
  // Duplicates of this task not inside any attempt (logged before start, say) still show.
  const inAttempts = new Set(task.attempts.flatMap((a) => a.lineIds));
  trace.duplicates
    .filter((d) => d.direction === 'blocked' && d.taskId === id && !inAttempts.has(d.lineId))
    .forEach((d, j) => {
      rows.push(duplicateRow(context, d, depth + 1, `dup:${id}:x:${j}`));
    });
  rows.push(...endRows(context, task, depth + 1));
  trace.gaps
    .filter((g) => g.taskId === id)
    .forEach((gap, j) => {
      rows.push(
        row({
          key: `gap:${id}:${j}`,
          kind: 'gap',
          depth: depth + 1,
          label: gap.message,
          lane: '',
          start: (gap.at ?? start) - t0,
          end: trace.endedAt - t0,
          isError: true,
          marker: MARKERS.gap,
        }),
      );
    });
  task.polls.forEach((poll, j) => {
    const other = poll.correlationId && poll.correlationId !== trace.correlationId;
    rows.push(
      row({
        key: `poll:${id}:${j}`,
        kind: 'poll',
        depth: depth + 1,
        label: `status poll → ${poll.status ?? '?'}${other ? ` (request ${shortId(poll.correlationId ?? '', 16)})` : ''}`,
        lane: 'client',
        start: poll.at - t0,
        end: poll.at + (poll.durationMs ?? 0) - t0,
        isError: (poll.status ?? 0) >= 500,
        lineIds: poll.lineIds,
      }),
    );
  });
  const waiting = trace.pending?.byTask[id];
  if (waiting !== undefined && waiting > 0) {
    // Where the polls still loading will go: after the last one loaded, until the trace's end.
    rows.push(
      row({
        key: `pending:${id}`,
        kind: 'pending',
        depth: depth + 1,
        label: loadingLabel(waiting),
        lane: 'client',
        start: (task.polls.at(-1)?.at ?? start) - t0,
        end: trace.endedAt - t0,
      }),
    );
  }
  return rows;
}

function loadingLabel(polls: number): string {
  return `loading ${polls.toLocaleString('en-US')} more status poll${polls === 1 ? '' : 's'}…`;
}

/** Rows of one request: the request, nginx, a missing API line, the API, its duplicates and tasks. */
function requestRows(context: RowContext, request: RequestBranch, tasksById: ReadonlyMap<string, TaskTrace>): Row[] {
  const { trace, t0 } = context;
  const rows: Row[] = [];
  const status = clientStatus(request);
  const tasks = request.taskIds.map((id) => tasksById.get(id)).filter((t): t is TaskTrace => t !== undefined);
  // A task another request enqueued (this one took its key over) began before this request did.
  const own = tasks.filter((t) => t.enqueuedBy === undefined || t.enqueuedBy === trace.correlationId);
  const start = Math.min(
    request.nginx?.startedAt ?? Number.POSITIVE_INFINITY,
    request.receivedAt ?? Number.POSITIVE_INFINITY,
    ...own.map((t) => t.enqueuedAt ?? t.attempts[0]?.startedAt ?? Number.POSITIVE_INFINITY),
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
  rows.push(
    row({
      key: `request:${request.index}`,
      kind: 'request',
      depth: 0,
      label: `request ${request.index} · ${http}${request.idempotencyKey ? ` · key ${request.idempotencyKey}` : ''}`,
      lane: 'client',
      start: from - t0,
      end: end - t0,
      isError: (status ?? 0) >= 500,
      lineIds: request.lineIds,
    }),
  );
  const nginx = request.nginx;
  if (nginx) {
    rows.push(
      row({
        key: `nginx:${request.index}`,
        kind: 'nginx',
        depth: 1,
        label: `nginx → ${nginx.status ?? '?'} · ${formatDuration(nginx.endedAt - nginx.startedAt)}${nginx.upstream ? ` · upstream ${nginx.upstream}` : ''}`,
        lane: 'nginx',
        start: nginx.startedAt - t0,
        end: nginx.endedAt - t0,
        isError: (nginx.status ?? 0) >= 500,
        lineIds: [nginx.lineId],
      }),
    );
  }
  trace.gaps
    .filter((g) => g.kind === 'no_api_line' && g.at === nginx?.endedAt)
    .forEach((gap, j) => {
      rows.push(
        row({
          key: `gap:request:${request.index}:${j}`,
          kind: 'gap',
          depth: 1,
          label: gap.message,
          lane: 'nginx',
          start: (gap.at ?? t0) - t0,
          isError: true,
          marker: MARKERS.gap,
        }),
      );
    });
  if (request.apiInstance !== undefined) {
    rows.push(
      row({
        key: `api:${request.index}`,
        kind: 'api',
        depth: 1,
        label: `${request.apiInstance} ${request.method ?? '?'} ${request.route ?? request.path ?? '?'} → ${request.status ?? 'no response'}${request.apiDurationMs === undefined ? '' : ` · ${formatDuration(request.apiDurationMs)}`}`,
        lane: request.apiInstance,
        start: (request.receivedAt ?? request.respondedAt ?? from) - t0,
        end: (request.respondedAt ?? trace.endedAt) - t0,
        isError: (request.status ?? 0) >= 500 || request.respondedAt === undefined,
        note: clockNote(context, request.apiInstance),
        lineIds: request.lineIds.filter((id) => trace.lines[id]?.service === 'api'),
      }),
    );
  }
  const lineSet = new Set(request.lineIds);
  trace.duplicates
    .filter((d) => d.direction === 'blocked' && d.taskId === undefined && lineSet.has(d.lineId))
    .forEach((d, j) => {
      rows.push(duplicateRow(context, d, 1, `dup:request:${request.index}:${j}`));
    });
  trace.takeovers
    .filter((t) => t.direction === 'took_over' && lineSet.has(t.lineId))
    .forEach((t, j) => {
      rows.push(takeoverRow(context, t, 1, `takeover:request:${request.index}:${j}`));
    });
  for (const task of tasks) rows.push(...taskRows(context, task, 1));
  return rows;
}

/** A takeover: in the taker's trace under its request, in the first request's trace at the top. */
function takeoverRow(context: RowContext, takeover: Takeover, depth: number, key: string): Row {
  const first = shortId(takeover.originalCorrelationId ?? '?', 16);
  const taker = shortId(takeover.correlationId ?? '?', 16);
  const keyWords = takeover.idempotencyKey === undefined ? 'its idempotency key' : `key ${takeover.idempotencyKey}`;
  const firstWords = takeover.direction === 'took_over' ? `request ${first}` : 'this request';
  const after =
    takeover.claimLostAt === undefined
      ? `; ${firstWords} may still be running`
      : `; ${firstWords} finished later and found its claim gone at ${formatClock(takeover.claimLostAt)} (its answer was not stored)`;
  const label =
    takeover.direction === 'took_over'
      ? `took over ${keyWords} from request ${first}: its claim's lease ran out${after}`
      : `request ${taker} took over ${keyWords}: this request's claim's lease ran out${after}`;
  const other = takeover.direction === 'took_over' ? takeover.originalCorrelationId : takeover.correlationId;
  return row({
    key,
    kind: 'takeover',
    depth,
    label,
    lane: context.trace.lines[takeover.lineId]?.instance ?? '?',
    start: takeover.at - context.t0,
    marker: MARKERS.takeover,
    original: { correlationId: other, taskId: takeover.taskId },
    lineIds: [takeover.lineId],
  });
}

/** How a duplicate group names itself in its row's label and key. */
function groupName(key: DuplicateGroupKey): { label: string; id: string } {
  return key.by === 'idempotency_key'
    ? { label: `key ${key.key}`, id: `key:${key.key}` }
    : { label: `(${words(key.kind)})`, id: `kind:${key.kind}` };
}

/** Duplicates turned away because of this trace, grouped by the key they reused. */
function incomingRows(context: RowContext): Row[] {
  const t0 = context.t0;
  const incoming = context.trace.duplicates
    .filter((d) => d.direction === 'incoming')
    .sort((a, b) => (a.idempotencyKey ?? '\uffff').localeCompare(b.idempotencyKey ?? '\uffff') || a.at - b.at);
  const rows: Row[] = [];
  for (const group of groupDuplicates(incoming)) {
    const dups = group.duplicates;
    const name = groupName(group.key);
    rows.push(
      row({
        key: `dupgroup:${name.id}`,
        kind: 'duplicate',
        depth: 0,
        label: `${dups.length} duplicate(s) blocked pointing here · ${name.label}`,
        lane: 'client',
        start: (dups[0]?.at ?? t0) - t0,
        end: (dups.at(-1)?.at ?? t0) - t0,
        marker: MARKERS.incoming,
        lineIds: dups.map((d) => d.lineId),
      }),
    );
    dups.forEach((dup, j) => {
      rows.push(duplicateRow(context, dup, 1, `dupin:${name.id}:${j}`));
    });
  }
  return rows;
}

/** The trace-wide rows at the end: shipper lag, and polls still loading that no task claims. */
function trailingRows(context: RowContext): Row[] {
  const { trace, t0 } = context;
  const rows: Row[] = trace.gaps
    .filter((g) => g.kind === 'shipper_lag')
    .map((gap, j) =>
      row({
        key: `gap:lag:${j}`,
        kind: 'gap',
        depth: 0,
        label: gap.message,
        lane: '',
        start: (gap.at ?? trace.endedAt) - t0,
        marker: MARKERS.gap,
      }),
    );
  const pending = trace.pending;
  if (pending) {
    // Polls the source could not put to a task of this trace by count still arrive: say so once.
    let placed = 0;
    for (const n of Object.values(pending.byTask)) placed += n;
    const rest = pending.polls - placed;
    if (rest > 0 || (pending.polls === 0 && placed === 0))
      rows.push(
        row({
          key: 'pending',
          kind: 'pending',
          depth: 0,
          label: rest > 0 ? loadingLabel(rest) : 'loading status polls…',
          lane: 'client',
          start: trace.endedAt - t0,
        }),
      );
  }
  return rows;
}

/** Flatten a trace into waterfall rows, in display order. */
export function traceToRows(trace: Trace): Row[] {
  const context: RowContext = {
    trace,
    t0: trace.startedAt,
    shifts: new Map(trace.skew.map((s) => [s.instance, s.shiftMs])),
  };
  const tasksById = new Map(trace.tasks.map((t) => [t.taskId, t]));
  return [
    ...trace.requests.flatMap((request) => requestRows(context, request, tasksById)),
    ...trace.takeovers
      .filter((t) => t.direction === 'taken_from')
      .map((t, j) => takeoverRow(context, t, 0, `takeover:from:${j}`)),
    ...incomingRows(context),
    ...trailingRows(context),
  ];
}
