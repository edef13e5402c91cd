/**
 * Hits → internal lines: parse the fields every later step needs once, and order them.
 * Ordering merges per-process streams: inside one process `event.sequence` is the truth;
 * across processes time decides, and at equal milliseconds the causal rank of the event does.
 */
import { EVENTS, F, type LogRecord } from '../../contract/vocabulary.ts';
import { isTime, num, str, timestampOf } from './fields.ts';
import { isDuplicateAction, isTaskAction, joinedTaskId, polledTaskIdOf } from './join.ts';
import type { Hit } from './types.ts';

/** A line while the trace is being built; `id` is set by {@link mergeOrdered}, `at` moves when skew is repaired. */
export interface WorkLine {
  id: number;
  readonly source: string;
  readonly record: LogRecord;
  readonly writtenAt: number;
  at: number;
  readonly service: string;
  readonly instance: string;
  readonly action: string;
  readonly sequence: number;
  readonly correlationId: string | undefined;
  readonly taskId: string | undefined;
  /** The writer's own span (`span.id`): one per request in nginx and in the API. */
  readonly spanId: string | undefined;
  /** The caller's span (`parent.id`): on API lines, the nginx span that proxied the request. */
  readonly parentId: string | undefined;
  /** The task a status poll asks about, when the line belongs to one. */
  readonly polled: string | undefined;
  /** {@link causalRank} of the action. */
  readonly rank: number;
  /** The action describes a job's life ({@link isTaskAction}). */
  readonly isTask: boolean;
  /** The action records a blocked duplicate ({@link isDuplicateAction}). */
  readonly isDuplicate: boolean;
}

const RANK: ReadonlyMap<string, number> = new Map([
  [EVENTS.HTTP_REQUEST_RECEIVED, 0],
  [EVENTS.IDEMPOTENCY_CLAIMED, 1],
  [EVENTS.IDEMPOTENCY_TAKEN_OVER, 1],
  [EVENTS.IDEMPOTENCY_REPLAYED, 1],
  [EVENTS.IDEMPOTENCY_IN_FLIGHT_CONFLICT, 1],
  [EVENTS.IDEMPOTENCY_PAYLOAD_MISMATCH, 1],
  [EVENTS.TASK_ENQUEUED, 2],
  [EVENTS.TASK_ALREADY_ENQUEUED, 2],
  [EVENTS.TASK_STARTED, 3],
  [EVENTS.LOCK_ACQUIRED, 4],
  [EVENTS.LOCK_CONTENDED, 4],
  [EVENTS.RESULT_CACHE_HIT, 4],
  [EVENTS.TASK_COMPLETED, 5],
  [EVENTS.TASK_FAILED, 5],
  [EVENTS.TASK_STALLED, 5],
  [EVENTS.LOCK_RELEASED, 6],
  [EVENTS.TASK_RETRY_SCHEDULED, 6],
  [EVENTS.TASK_DEAD_LETTERED, 7],
  [EVENTS.HTTP_REQUEST_COMPLETED, 8],
  [EVENTS.NGINX_ACCESS, 9],
]);

/** Causal rank of an event among lines written in the same millisecond by different processes. */
export function causalRank(action: string): number {
  return RANK.get(action) ?? 5;
}

/** One hit as a line, or undefined when it has no usable @timestamp. */
export function parseLine(hit: Hit): WorkLine | undefined {
  const record = hit.record;
  const writtenAt = isTime(hit.at) ? hit.at : timestampOf(record);
  if (writtenAt === undefined) return undefined;
  const service = str(record, F.SERVICE_NAME) ?? 'unknown';
  const action = str(record, F.EVENT_ACTION) ?? 'unknown';
  const taskId = str(record, F.TASK_ID);
  return {
    id: -1,
    source: hit.source,
    record,
    writtenAt,
    at: writtenAt,
    service,
    instance: str(record, F.SERVICE_INSTANCE) ?? service,
    action,
    sequence: num(record, F.EVENT_SEQUENCE) ?? 0,
    correlationId: str(record, F.CORRELATION_ID),
    taskId,
    spanId: str(record, F.SPAN_ID),
    parentId: str(record, F.PARENT_ID),
    polled: polledTaskIdOf(record, action, taskId),
    rank: causalRank(action),
    isTask: isTaskAction(action),
    isDuplicate: isDuplicateAction(action),
  };
}

/**
 * Hits parsed into lines as they arrive: a trace's lines come in several fetches (the
 * correlation id's, then its tasks'), and the task ids the next fetch needs are read from
 * the lines parsed so far. Lines without a usable @timestamp are left out (counted once
 * each). Repeats (the same line reached through two joins) are kept here and dropped when
 * the trace selects its lines.
 *
 * One instance feeds one trace: building it numbers the lines and moves their repaired times.
 */
export class ParsedLines {
  readonly correlationId: string;
  readonly lines: WorkLine[] = [];
  readonly #untimed = new Set<string>();

  constructor(correlationId: string) {
    this.correlationId = correlationId;
  }

  /** Lines left out for want of a valid @timestamp. */
  get untimed(): number {
    return this.#untimed.size;
  }

  /** Parse and append hits. */
  add(hits: readonly Hit[]): this {
    hits.forEach((hit) => {
      const line = parseLine(hit);
      if (line === undefined) this.#untimed.add(hit.source);
      else this.lines.push(line);
    });
    return this;
  }

  /** The task ids the correlation id's lines parsed so far pull into the trace ({@link joinedTaskId}). */
  joinedTaskIds(): Set<string> {
    const ids = new Set<string>();
    this.lines.forEach((line) => {
      const id = joinedTaskId(line, this.correlationId);
      if (id !== undefined) ids.add(id);
    });
    return ids;
  }
}

/** Plain code-unit order: deterministic and independent of the locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const DIGITS = /(\d+)/;

/**
 * Sources in file order: runs of digits compare as numbers, so `app.ndjson:9` comes before
 * `app.ndjson:10` and an OTLP line's tenth record (`:1.10`) after its second (`:1.2`);
 * the rest compares as text. Equal numbers written differently (`01`, `1`) fall back to text.
 */
export function compareSource(a: string, b: string): number {
  if (a === b) return 0;
  const left = a.split(DIGITS);
  const right = b.split(DIGITS);
  for (let i = 0; i < left.length && i < right.length; i++) {
    const x = left[i] as string;
    const y = right[i] as string;
    if (x === y) continue;
    // split with a capturing group puts the digit runs at odd indices.
    if (i % 2 === 1) {
      const xs = x.replace(/^0+(?=\d)/, '');
      const ys = y.replace(/^0+(?=\d)/, '');
      // Any length of digits: by length, then digit by digit, never through a lossy Number.
      const byValue = xs.length - ys.length || compareText(xs, ys);
      if (byValue !== 0) return byValue;
    } else return compareText(x, y);
  }
  return left.length - right.length || compareText(a, b);
}

/**
 * Written order: time, then the writer's own sequence; at equal times the instance and
 * source decide, so the input order never does.
 */
export function writtenOrder(a: WorkLine, b: WorkLine): number {
  return (
    a.writtenAt - b.writtenAt ||
    a.sequence - b.sequence ||
    compareText(a.instance, b.instance) ||
    compareSource(a.source, b.source)
  );
}

/**
 * Merge per-process streams by repaired time and number the lines in that order. A
 * process's own order is never broken: its lines share one clock shift, so they stay
 * monotonic and a k-way merge keeps them intact. At equal times the causal rank decides,
 * then the stream order.
 */
export function mergeOrdered(streams: readonly (readonly WorkLine[])[]): WorkLine[] {
  const heads = streams.map(() => 0);
  const out: WorkLine[] = [];
  for (;;) {
    let best = -1;
    let bestLine: WorkLine | undefined;
    for (let i = 0; i < streams.length; i++) {
      const line = streams[i]?.[heads[i] ?? 0];
      if (line === undefined) continue;
      if (bestLine === undefined || line.at < bestLine.at || (line.at === bestLine.at && line.rank < bestLine.rank)) {
        best = i;
        bestLine = line;
      }
    }
    if (bestLine === undefined) return out;
    bestLine.id = out.length;
    out.push(bestLine);
    heads[best] = (heads[best] ?? 0) + 1;
  }
}
