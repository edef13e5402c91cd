/**
 * Hits → internal lines: parse the fields every later step needs once, drop exact repeats
 * (the same line reached through two joins), and order them. Ordering merges per-process
 * streams: inside one process `event.sequence` is the truth; across processes time decides,
 * and at equal milliseconds the causal rank of the event does.
 */
import { EVENTS, F, type LogRecord } from '../../workload/log/vocabulary.ts';
import { num, str, timestampOf } from './fields.ts';
import { polledTaskId } from './join.ts';
import type { Hit } from './types.ts';

/** A line while the trace is being built; `at` moves when skew is repaired. */
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
  /** The task a status poll asks about, when the line belongs to one (computed once). */
  readonly polled: string | undefined;
}

const RANK: Readonly<Record<string, number>> = {
  [EVENTS.HTTP_REQUEST_RECEIVED]: 0,
  [EVENTS.IDEMPOTENCY_CLAIMED]: 1,
  [EVENTS.IDEMPOTENCY_REPLAYED]: 1,
  [EVENTS.IDEMPOTENCY_IN_FLIGHT_CONFLICT]: 1,
  [EVENTS.IDEMPOTENCY_PAYLOAD_MISMATCH]: 1,
  [EVENTS.TASK_ENQUEUED]: 2,
  [EVENTS.TASK_STARTED]: 3,
  [EVENTS.LOCK_ACQUIRED]: 4,
  [EVENTS.LOCK_CONTENDED]: 4,
  [EVENTS.RESULT_CACHE_HIT]: 4,
  [EVENTS.TASK_COMPLETED]: 5,
  [EVENTS.TASK_FAILED]: 5,
  [EVENTS.TASK_STALLED]: 5,
  [EVENTS.LOCK_RELEASED]: 6,
  [EVENTS.TASK_RETRY_SCHEDULED]: 6,
  [EVENTS.TASK_DEAD_LETTERED]: 7,
  [EVENTS.HTTP_REQUEST_COMPLETED]: 8,
  [EVENTS.NGINX_ACCESS]: 9,
};

/** Causal rank of an event among lines written in the same millisecond by different processes. */
export function causalRank(action: string): number {
  return RANK[action] ?? 5;
}

/** Parse hits into lines, skipping repeats and lines without a usable @timestamp. */
export function toWorkLines(hits: readonly Hit[]): { lines: WorkLine[]; untimed: number } {
  const seen = new Set<string>();
  const lines: WorkLine[] = [];
  let untimed = 0;
  for (const hit of hits) {
    if (seen.has(hit.source)) continue;
    seen.add(hit.source);
    const writtenAt = timestampOf(hit.record);
    if (writtenAt === undefined) {
      untimed++;
      continue;
    }
    const service = str(hit.record, F.SERVICE_NAME) ?? 'unknown';
    lines.push({
      id: -1,
      source: hit.source,
      record: hit.record,
      writtenAt,
      at: writtenAt,
      service,
      instance: str(hit.record, F.SERVICE_INSTANCE) ?? service,
      action: str(hit.record, F.EVENT_ACTION) ?? 'unknown',
      sequence: num(hit.record, F.EVENT_SEQUENCE) ?? 0,
      correlationId: str(hit.record, F.CORRELATION_ID),
      taskId: str(hit.record, F.TASK_ID),
      polled: polledTaskId(hit.record),
    });
  }
  return { lines, untimed };
}

function byWrittenOrder(a: WorkLine, b: WorkLine): number {
  return a.writtenAt - b.writtenAt || a.sequence - b.sequence || a.source.localeCompare(b.source);
}

/** Lines of each process in the order that process wrote them. */
export function byInstance(lines: readonly WorkLine[]): Map<string, WorkLine[]> {
  const streams = new Map<string, WorkLine[]>();
  for (const line of lines) {
    const stream = streams.get(line.instance);
    if (stream) stream.push(line);
    else streams.set(line.instance, [line]);
  }
  for (const stream of streams.values()) stream.sort(byWrittenOrder);
  return streams;
}

/**
 * Merge per-process streams by repaired time. A process's own order is never broken: its
 * lines share one clock shift, so they stay monotonic and a k-way merge keeps them intact.
 */
export function mergeOrdered(lines: readonly WorkLine[]): WorkLine[] {
  const streams = [...byInstance(lines).values()];
  const heads = streams.map(() => 0);
  const out: WorkLine[] = [];
  for (;;) {
    let best = -1;
    let bestLine: WorkLine | undefined;
    for (let i = 0; i < streams.length; i++) {
      const line = streams[i]?.[heads[i] ?? 0];
      if (line === undefined) continue;
      if (
        bestLine === undefined ||
        line.at < bestLine.at ||
        (line.at === bestLine.at && causalRank(line.action) < causalRank(bestLine.action))
      ) {
        best = i;
        bestLine = line;
      }
    }
    if (bestLine === undefined) break;
    out.push(bestLine);
    heads[best] = (heads[best] ?? 0) + 1;
  }
  out.forEach((line, index) => {
    line.id = index;
  });
  return out;
}
