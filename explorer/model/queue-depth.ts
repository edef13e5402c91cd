/**
 * Queue depth from the stack's own lines: the API logs its reading of every queue as
 * `queue.depth` (docs/log-contract.md). Every API instance reads the same queues, so the
 * newest line of any of them is the current depth.
 */
import { EVENTS, F, type LogRecord, PRIORITIES, QUEUE_WAITING_FIELDS } from '../../contract/vocabulary.ts';

/** One reading: when, by whom, each queue's depth and their sum. */
export interface QueueDepth {
  readonly at: number;
  readonly instance: string | undefined;
  readonly total: number;
  readonly queues: ReadonlyArray<{ readonly queue: string; readonly depth: number }>;
}

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;

/** The reading a `queue.depth` line carries at `at`; undefined for any other line or one without a usable sum. */
export function queueDepthOf(record: LogRecord, at: number): QueueDepth | undefined {
  if (record[F.EVENT_ACTION] !== EVENTS.QUEUE_DEPTH) return undefined;
  const total = count(record[F.QUEUE_DEPTH]);
  if (total === undefined) return undefined;
  const queues = PRIORITIES.flatMap((queue) => {
    const depth = count(record[QUEUE_WAITING_FIELDS[queue]]);
    return depth === undefined ? [] : [{ queue, depth }];
  });
  const instance = record[F.SERVICE_INSTANCE];
  return { at, instance: typeof instance === 'string' ? instance : undefined, total, queues };
}

/** The newer of two readings (the second on a tie: the later line read). */
export function newerDepth(a: QueueDepth | undefined, b: QueueDepth | undefined): QueueDepth | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b.at >= a.at ? b : a;
}

/** `high 3 · medium 0 · low 12`, or the sum alone when the line names no queue. */
export function depthText(depth: QueueDepth): string {
  return depth.queues.length === 0 ? String(depth.total) : depth.queues.map((q) => `${q.queue} ${q.depth}`).join(' · ');
}
