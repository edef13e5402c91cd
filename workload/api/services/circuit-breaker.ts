/**
 * Back-pressure on queue depth: when more tasks wait than the threshold, new tasks are refused
 * (503 + Retry-After) until the workers drain the backlog. The depth is read at most once per
 * `cacheMs` (shared by concurrent requests), so the breaker costs a Redis round trip per
 * interval, not per request. Transitions are logged as `circuit.opened` / `circuit.closed`.
 * The reading itself is logged as `queue.depth` (each queue's depth and their sum) at most once
 * per `depthLogMs`, on the process's logger: the explorer's overview shows the latest one.
 */
import type { Logger } from 'pino';
import { EVENTS, F, PRIORITIES, type Priority, QUEUE_WAITING_FIELDS } from '../../../contract/vocabulary.ts';
import { logEvent } from '../../../instrumentation/logger.ts';

/** Options of {@link createCircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Waiting tasks above which the circuit opens. */
  threshold: number;
  /** How long one depth reading is reused. */
  cacheMs: number;
  /** Reads the current number of waiting tasks of each queue. */
  readDepth: () => Promise<QueueDepths>;
  /** Where and how often a reading is logged as `queue.depth`; not logged without it. */
  depthLog?: { readonly log: Logger; readonly everyMs: number };
  now?: () => number;
}

/** Tasks not yet started, per queue. */
export type QueueDepths = Readonly<Record<Priority, number>>;

/** The breaker's verdict for one request. */
export interface Admission {
  open: boolean;
  /** Depth at the reading the verdict rests on. */
  depth: number;
}

/** The circuit breaker of task creation. */
export interface CircuitBreaker {
  /**
   * Whether a new task may be queued now. Refreshes the depth when the cached reading is
   * stale; a failed reading rejects with its error and changes nothing, so the request fails
   * within one Redis deadline instead of going on to an enqueue that would wait out a second.
   * Transitions are logged on `log` so they carry the deciding request's id.
   */
  admit(log: Logger): Promise<Admission>;
  /** The verdict of the last reading, without reading again (closed with depth 0 before the first). */
  current(): Admission;
  readonly threshold: number;
}

/** A breaker that starts closed. */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const now = options.now ?? Date.now;
  // The whole state is the last reading: the circuit is open while it is above the threshold.
  let depth = 0;
  let readAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<void> | undefined;
  let depthLoggedAt = Number.NEGATIVE_INFINITY;

  const refresh = async (log: Logger): Promise<void> => {
    const depths = await options.readDepth();
    readAt = now();
    const latest = PRIORITIES.reduce((sum, priority) => sum + depths[priority], 0);
    if (options.depthLog && readAt - depthLoggedAt >= options.depthLog.everyMs) {
      depthLoggedAt = readAt;
      logDepths(options.depthLog.log, depths, latest);
    }
    const wasOpen = depth > options.threshold;
    depth = latest;
    const open = depth > options.threshold;
    if (open === wasOpen) return;
    logEvent(
      log,
      open ? 'warn' : 'info',
      open ? EVENTS.CIRCUIT_OPENED : EVENTS.CIRCUIT_CLOSED,
      { [F.CIRCUIT_STATE]: open ? 'open' : 'closed', [F.QUEUE_DEPTH]: depth, [F.CIRCUIT_THRESHOLD]: options.threshold },
      open
        ? `circuit opened: ${depth} waiting tasks > ${options.threshold}; refusing new tasks`
        : `circuit closed: ${depth} waiting tasks ≤ ${options.threshold}; accepting new tasks`,
    );
  };

  return {
    threshold: options.threshold,
    current: () => ({ open: depth > options.threshold, depth }),
    admit: async (log) => {
      if (now() - readAt >= options.cacheMs) {
        reading ??= refresh(log).finally(() => {
          reading = undefined;
        });
        await reading;
      }
      return { open: depth > options.threshold, depth };
    },
  };
}

/** One `queue.depth` line: each queue's depth and their sum. */
function logDepths(log: Logger, depths: QueueDepths, total: number): void {
  const fields: Record<string, number> = { [F.QUEUE_DEPTH]: total };
  for (const priority of PRIORITIES) fields[QUEUE_WAITING_FIELDS[priority]] = depths[priority];
  logEvent(
    log,
    'info',
    EVENTS.QUEUE_DEPTH,
    fields,
    `queue depth ${total}: ${PRIORITIES.map((p) => `${p} ${depths[p]}`).join(', ')}`,
  );
}
