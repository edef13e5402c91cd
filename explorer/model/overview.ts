/**
 * The overview of a window, from the fleet view's rows and the tasks behind them: request
 * rate, task outcomes by state, error share, latency percentiles (request, queue wait, run
 * time), the slowest and the failing task types. Pure: `--stats` prints it from files, and the
 * same numbers come from any source's rows.
 */
import type { QueueDepth } from './queue-depth.ts';
import type { RequestSummary, TaskFacts, TaskState } from './request-list.ts';
import { TASK_STATES } from './request-list.ts';

/** p50, p95, p99 and the count and maximum of a set of durations (ms); undefined when empty. */
export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** One task type's figures. */
export interface TypeFigures {
  readonly type: string;
  readonly tasks: number;
  /** Failed or dead-lettered tasks. */
  readonly failed: number;
  /** Attempts beyond the first, over every task of the type. */
  readonly retries: number;
  readonly run: Percentiles | undefined;
}

/** What `--stats` prints. */
export interface Overview {
  /** First and last request of the window (epoch ms); undefined without requests. */
  readonly from: number | undefined;
  readonly to: number | undefined;
  readonly requests: number;
  /** Requests per second over the span from the first request to the last. */
  readonly requestsPerSecond: number | undefined;
  /** Requests in each of {@link SPARK_BUCKETS} equal slices of the span. */
  readonly requestsOverTime: readonly number[];
  /** Requests by HTTP status class ('2xx', '4xx', …, 'none'). */
  readonly statusClasses: ReadonlyArray<{ readonly status: string; readonly count: number }>;
  /** Tasks per state; `duplicate` counts requests blocked as duplicates. */
  readonly states: ReadonlyArray<{ readonly state: TaskState; readonly count: number }>;
  readonly tasks: number;
  /** Failed requests (a 5xx, a failed or dead-lettered task) over all requests, 0 to 1. */
  readonly errorShare: number | undefined;
  readonly latency: {
    readonly request: Percentiles | undefined;
    readonly queueWait: Percentiles | undefined;
    readonly run: Percentiles | undefined;
  };
  /** Task types by p95 run time, slowest first. */
  readonly slowestTypes: readonly TypeFigures[];
  /** Task types with failed or dead-lettered tasks, most first. */
  readonly failingTypes: readonly TypeFigures[];
  /** The newest `queue.depth` reading of the window, if the API logged one. */
  readonly queueDepth: QueueDepth | undefined;
}

/** Slices of the request-rate sparkline. */
export const SPARK_BUCKETS = 24;
/** Task types listed at most per table. */
const TOP_TYPES = 5;

/** Nearest-rank percentiles of `values` (ms). */
export function percentiles(values: readonly number[]): Percentiles | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
  return { count: sorted.length, p50: rank(50), p95: rank(95), p99: rank(99), max: sorted.at(-1) as number };
}

/** The overview of `rows`, their tasks among `tasks`, and the latest queue depth when known. */
export function overview(
  rows: readonly RequestSummary[],
  tasks: readonly TaskFacts[],
  queueDepth?: QueueDepth,
): Overview {
  const taskById = new Map(tasks.map((task) => [task.taskId, task]));
  const mine = rows.flatMap((row) => row.taskIds.flatMap((id) => taskById.get(id) ?? []));
  const times = rows.map((row) => row.at);
  // A loop, not Math.min(...times): a spread of a million arguments overflows the stack.
  let from: number | undefined;
  let to: number | undefined;
  for (const at of times) {
    if (from === undefined || at < from) from = at;
    if (to === undefined || at > to) to = at;
  }
  const spanS = from === undefined || to === undefined ? undefined : (to - from) / 1000;

  const states = new Map<TaskState, number>();
  for (const task of mine) states.set(task.state, (states.get(task.state) ?? 0) + 1);
  const blocked = rows.filter((row) => row.state === 'duplicate').length;
  if (blocked > 0) states.set('duplicate', blocked);

  const classes = new Map<string, number>();
  for (const row of rows) {
    const status = row.status === undefined ? 'none' : `${String(row.status)[0]}xx`;
    classes.set(status, (classes.get(status) ?? 0) + 1);
  }

  const byType = new Map<string, TaskFacts[]>();
  for (const task of mine) {
    const type = task.type ?? '(no type)';
    const list = byType.get(type);
    if (list === undefined) byType.set(type, [task]);
    else list.push(task);
  }
  const types: TypeFigures[] = [...byType].map(([type, list]) => ({
    type,
    tasks: list.length,
    failed: list.filter((t) => t.state === 'failed' || t.state === 'dead-lettered').length,
    retries: list.reduce((sum, t) => sum + Math.max(0, t.attempts - 1), 0),
    run: percentiles(list.flatMap((t) => t.runsMs)),
  }));

  return {
    queueDepth,
    from,
    to,
    requests: rows.length,
    requestsPerSecond: spanS === undefined || spanS <= 0 ? undefined : rows.length / spanS,
    requestsOverTime: buckets(times, from, to),
    statusClasses: [...classes].sort(([a], [b]) => a.localeCompare(b)).map(([status, count]) => ({ status, count })),
    states: TASK_STATES.flatMap((state) => {
      const count = states.get(state);
      return count === undefined ? [] : [{ state, count }];
    }),
    tasks: mine.length,
    errorShare: rows.length === 0 ? undefined : rows.filter((row) => row.failed).length / rows.length,
    latency: {
      request: percentiles(rows.flatMap((row) => (row.durationMs === undefined ? [] : [row.durationMs]))),
      queueWait: percentiles(mine.flatMap((task) => task.queueWaitsMs)),
      run: percentiles(mine.flatMap((task) => task.runsMs)),
    },
    slowestTypes: types
      .filter((t) => t.run !== undefined)
      .sort((a, b) => (b.run?.p95 ?? 0) - (a.run?.p95 ?? 0) || a.type.localeCompare(b.type))
      .slice(0, TOP_TYPES),
    failingTypes: types
      .filter((t) => t.failed > 0)
      .sort((a, b) => b.failed - a.failed || a.type.localeCompare(b.type))
      .slice(0, TOP_TYPES),
  };
}

function buckets(times: readonly number[], from: number | undefined, to: number | undefined): number[] {
  if (from === undefined || to === undefined) return [];
  const counts = new Array<number>(SPARK_BUCKETS).fill(0);
  const width = Math.max(1, to - from) / SPARK_BUCKETS;
  for (const at of times) {
    const index = Math.min(SPARK_BUCKETS - 1, Math.floor((at - from) / width));
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts;
}

/** How many times its type's p95 run time a running attempt may take before it counts as stuck. */
export const STUCK_FACTOR = 3;

/**
 * The p95 run time of each task type over the finished attempts of `tasks`: what "stuck"
 * compares a running attempt with.
 */
export function p95ByType(tasks: readonly TaskFacts[]): Map<string, number> {
  const runs = new Map<string, number[]>();
  for (const task of tasks) {
    if (task.type === undefined) continue;
    const list = runs.get(task.type);
    if (list === undefined) runs.set(task.type, [...task.runsMs]);
    else list.push(...task.runsMs);
  }
  const out = new Map<string, number>();
  for (const [type, list] of runs) {
    const p = percentiles(list);
    if (p !== undefined) out.set(type, p.p95);
  }
  return out;
}

/**
 * Stuck: an attempt running for longer than {@link STUCK_FACTOR} times its type's p95 run time
 * (a type with no finished attempt yet has no yardstick, and nothing of it is stuck).
 */
export function isStuck(row: RequestSummary, p95: ReadonlyMap<string, number>, now: number): boolean {
  if (row.runningSince === undefined) return false;
  const limits = (row.taskType ?? '').split(',').flatMap((type) => p95.get(type) ?? []);
  if (limits.length === 0) return false;
  return now - row.runningSince > STUCK_FACTOR * Math.max(...limits);
}
