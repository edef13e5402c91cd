/**
 * Lines → the fleet view's rows: one per correlation id, with its time, route, HTTP status and
 * duration, and the task it created (type, queue, worker, state, attempts), duplicates and
 * errors. Status polls and health probes are noise here and stay out.
 *
 * A {@link RequestLedger} folds lines one at a time, in any order, and keeps a small record
 * per request and per task, never the lines: the list of a window is exact however many lines
 * it holds, and --follow adds the lines that arrived without reading the old ones again.
 */

import { EVENTS, F, type LogRecord } from '../../contract/vocabulary.ts';
import { nsAsMs, num, str, timestampOf } from './fields.ts';
import { isDuplicateAction, isTaskAction, polledTaskIdOf } from './join.ts';
import { listRequests, type RequestFilter } from './list-view.ts';
import { newerDepth, type QueueDepth, queueDepthOf } from './queue-depth.ts';
import type { Hit } from './types.ts';

/** Where a request's work stands, from its task's lines (or its duplicate's). */
export const TASK_STATES = [
  'queued',
  'running',
  'retrying',
  'succeeded',
  'failed',
  'dead-lettered',
  'duplicate',
] as const;
/** A state of {@link TASK_STATES}. */
export type TaskState = (typeof TASK_STATES)[number];

/** One row of the fleet view. */
export interface RequestSummary {
  readonly correlationId: string;
  readonly at: number;
  readonly method: string | undefined;
  readonly route: string | undefined;
  readonly status: number | undefined;
  /** The HTTP request's own duration (nginx's, else the API's). */
  readonly durationMs: number | undefined;
  /** First line to last line of the request and its tasks: to the task's end once it ended. */
  readonly totalMs: number;
  readonly tasks: number;
  readonly taskIds: readonly string[];
  /** Task type(s) of its tasks, comma-separated when several. */
  readonly taskType: string | undefined;
  readonly queue: string | undefined;
  /** The worker of the latest attempt. */
  readonly worker: string | undefined;
  /** Every worker that ran an attempt. */
  readonly workers: readonly string[];
  /** State of its task (the least finished one when several); undefined without task or duplicate. */
  readonly state: TaskState | undefined;
  /** Attempts started, the most of any of its tasks. */
  readonly attempts: number;
  /** The error code (else message) of the latest failure. */
  readonly reason: string | undefined;
  readonly idempotencyKey: string | undefined;
  readonly duplicates: number;
  readonly errors: number;
  /** Requests sharing this correlation id. */
  readonly requests: number;
  readonly services: readonly string[];
  readonly instances: readonly string[];
  /** A 5xx, a failed or dead-lettered job: what `--status failed` keeps. */
  readonly failed: boolean;
  /** When the attempt running now started (epoch ms): set while a task of it is running. */
  readonly runningSince: number | undefined;
}

/** One task's life as its lines tell it. */
interface TaskAcc {
  readonly taskId: string;
  type: string | undefined;
  queue: string | undefined;
  queueFromEnqueue: boolean;
  /** The highest attempt number any line gives. */
  attempts: number;
  /** Starts that gave no attempt number: each counts as one more. */
  unnumberedStarts: number;
  /** The latest attempt event: its time, rank among events of one ms, and kind. */
  last: { at: number; rank: number; state: TaskState; worker: string | undefined } | undefined;
  completed: boolean;
  deadLettered: boolean;
  reason: string | undefined;
  reasonAt: number;
  workers: Set<string>;
  /** Queue wait of each attempt (ms), and each attempt's run time (ms). */
  readonly queueWaitsMs: number[];
  readonly runsMs: number[];
  firstAt: number;
  lastAt: number;
}

interface RequestAcc {
  readonly cid: string;
  at: number;
  lastAt: number;
  /** The earliest line's method, the API's route (else nginx's path): the first request's. */
  method: Stamped<string> | undefined;
  apiRoute: Stamped<string> | undefined;
  nginxPath: Stamped<string> | undefined;
  /** The latest answer of each hop: a correlation id reused by a client ends on its last request. */
  api: Stamped<Answer> | undefined;
  nginx: Stamped<Answer> | undefined;
  taskIds: Set<string>;
  duplicates: number;
  /** Blocked as a duplicate itself (a replay, a conflict, a mismatch), not a task's cache hit. */
  blocked: boolean;
  errors: number;
  received: number;
  nginxLines: number;
  services: Set<string>;
  instances: Set<string>;
  idempotencyKey: string | undefined;
  interesting: boolean;
}

/** A value and the time of the line it came from. */
interface Stamped<T> {
  readonly at: number;
  readonly value: T;
}

/** The value of the earlier line (in one millisecond: the smaller); a missing value never replaces one. */
function earliest(
  kept: Stamped<string> | undefined,
  at: number,
  value: string | undefined,
): Stamped<string> | undefined {
  if (value === undefined) return kept;
  if (kept === undefined || at < kept.at || (at === kept.at && value < kept.value)) return { at, value };
  return kept;
}

type Answer = { status: number | undefined; durationMs: number | undefined };

/** The answer of the later line (in one millisecond: the higher status, the error). */
function latest(kept: Stamped<Answer> | undefined, at: number, value: Answer): Stamped<Answer> {
  if (kept === undefined || at > kept.at) return { at, value };
  if (at === kept.at && (value.status ?? 0) > (kept.value.status ?? 0)) return { at, value };
  return kept;
}

/** What a hop answered: its status and how long it took. */
function answer(record: LogRecord): Answer {
  return { status: num(record, F.HTTP_STATUS), durationMs: nsAsMs(record, F.EVENT_DURATION) };
}

const PROBE_PATHS: ReadonlySet<string> = new Set(['/health', '/ready']);
const HTTP_ACTIONS: ReadonlySet<string> = new Set([
  EVENTS.HTTP_REQUEST_RECEIVED,
  EVENTS.HTTP_REQUEST_COMPLETED,
  EVENTS.NGINX_ACCESS,
]);

/**
 * Order of attempt events written in the same millisecond: a failure and its retry share one,
 * and the retry is what the task does next.
 */
const ATTEMPT_RANK: Readonly<Record<string, { rank: number; state: TaskState }>> = {
  [EVENTS.TASK_STARTED]: { rank: 1, state: 'running' },
  [EVENTS.TASK_FAILED]: { rank: 2, state: 'failed' },
  [EVENTS.TASK_STALLED]: { rank: 3, state: 'retrying' },
  [EVENTS.TASK_RETRY_SCHEDULED]: { rank: 3, state: 'retrying' },
};

/** Least finished first: a request with one task running and one done is running. */
const STATE_ORDER: readonly TaskState[] = [
  'running',
  'retrying',
  'queued',
  'dead-lettered',
  'failed',
  'succeeded',
  'duplicate',
];

/** Folds lines into requests and tasks; lines may come in any order, from any number of files. */
export class RequestLedger {
  readonly #requests = new Map<string, RequestAcc>();
  readonly #tasks = new Map<string, TaskAcc>();
  #lines = 0;
  #depth: QueueDepth | undefined;

  /** Lines folded so far. */
  get lines(): number {
    return this.#lines;
  }

  /** Fold one line in; `at` is its @timestamp when the caller has read it already. */
  add(record: LogRecord, at: number | undefined = timestampOf(record)): void {
    if (at === undefined) return;
    this.#lines++;
    const action = str(record, F.EVENT_ACTION) ?? '';
    if (action === EVENTS.QUEUE_DEPTH) {
      this.#depth = newerDepth(this.#depth, queueDepthOf(record, at));
      return;
    }
    const taskId = str(record, F.TASK_ID);
    const cid = str(record, F.CORRELATION_ID);
    const http = HTTP_ACTIONS.has(action);
    // A status poll or a probe is not work of its own, even under the request's own id.
    if (polledTaskIdOf(record, action, taskId) !== undefined) return;
    if (http && PROBE_PATHS.has(str(record, F.URL_PATH) ?? '')) return;
    const task = isTaskAction(action) && taskId !== undefined ? this.#task(taskId, record, action, at) : undefined;
    if (cid === undefined) return;
    const acc = this.#request(cid, at);
    acc.at = Math.min(acc.at, at);
    acc.lastAt = Math.max(acc.lastAt, at);
    const service = str(record, F.SERVICE_NAME);
    if (service) acc.services.add(service);
    const instance = str(record, F.SERVICE_INSTANCE);
    if (instance) acc.instances.add(instance);
    const level = str(record, F.LOG_LEVEL);
    if (level === 'error' || level === 'fatal') acc.errors++;
    acc.idempotencyKey ??= str(record, F.IDEMPOTENCY_KEY);
    if (isDuplicateAction(action)) {
      acc.duplicates++;
      if (!isTaskAction(action)) acc.blocked = true;
      acc.interesting = true;
    }
    if (task !== undefined) {
      acc.taskIds.add(task.taskId);
      acc.interesting = true;
    }
    if (!http) return;
    acc.interesting = true;
    // Lines come in any order (files are read one after another): what a row shows is chosen
    // by time, never by which line was read first.
    acc.method = earliest(acc.method, at, str(record, F.HTTP_METHOD));
    if (action === EVENTS.NGINX_ACCESS) {
      acc.nginxLines++;
      // The API's route (a pattern) reads better than nginx's path: nginx's only stands in.
      acc.nginxPath = earliest(acc.nginxPath, at, str(record, F.URL_PATH));
      acc.nginx = latest(acc.nginx, at, answer(record));
      return;
    }
    acc.apiRoute = earliest(acc.apiRoute, at, str(record, F.HTTP_ROUTE) ?? str(record, F.URL_PATH));
    if (action === EVENTS.HTTP_REQUEST_RECEIVED) acc.received++;
    else acc.api = latest(acc.api, at, answer(record));
  }

  /** The newest queue-depth reading among the lines folded, if any. */
  queueDepth(): QueueDepth | undefined {
    return this.#depth;
  }

  /** Fold hits in. */
  addAll(hits: Iterable<Hit>): this {
    for (const hit of hits) this.add(hit.record);
    return this;
  }

  #request(cid: string, at: number): RequestAcc {
    let acc = this.#requests.get(cid);
    if (acc === undefined) {
      acc = {
        cid,
        at,
        lastAt: at,
        method: undefined,
        apiRoute: undefined,
        nginxPath: undefined,
        api: undefined,
        nginx: undefined,
        taskIds: new Set(),
        duplicates: 0,
        blocked: false,
        errors: 0,
        received: 0,
        nginxLines: 0,
        services: new Set(),
        instances: new Set(),
        idempotencyKey: undefined,
        interesting: false,
      };
      this.#requests.set(cid, acc);
    }
    return acc;
  }

  #task(taskId: string, record: LogRecord, action: string, at: number): TaskAcc {
    let task = this.#tasks.get(taskId);
    if (task === undefined) {
      task = {
        taskId,
        type: undefined,
        queue: undefined,
        queueFromEnqueue: false,
        attempts: 0,
        unnumberedStarts: 0,
        last: undefined,
        completed: false,
        deadLettered: false,
        reason: undefined,
        reasonAt: Number.NEGATIVE_INFINITY,
        workers: new Set(),
        queueWaitsMs: [],
        runsMs: [],
        firstAt: at,
        lastAt: at,
      };
      this.#tasks.set(taskId, task);
    }
    task.firstAt = Math.min(task.firstAt, at);
    task.lastAt = Math.max(task.lastAt, at);
    task.type ??= str(record, F.TASK_TYPE);
    // The enqueue line names the queue; a worker's line stands in until it is read. A
    // dead-letter line may name the dead-letter queue, which is not where the task ran.
    const queue = str(record, F.TASK_QUEUE);
    if (action === EVENTS.TASK_ENQUEUED && queue !== undefined) {
      task.queue = queue;
      task.queueFromEnqueue = true;
    } else if (!task.queueFromEnqueue && action !== EVENTS.TASK_DEAD_LETTERED) task.queue ??= queue;
    const attempt = num(record, F.TASK_ATTEMPT);
    const worker = str(record, F.SERVICE_INSTANCE);
    if (attempt !== undefined) task.attempts = Math.max(task.attempts, attempt);
    if (action === EVENTS.TASK_STARTED) {
      if (attempt === undefined) task.unnumberedStarts++;
      if (worker) task.workers.add(worker);
      const wait = nsAsMs(record, F.TASK_QUEUE_WAIT);
      if (wait !== undefined) task.queueWaitsMs.push(wait);
    }
    if (action === EVENTS.TASK_COMPLETED || action === EVENTS.TASK_FAILED) {
      const run = nsAsMs(record, F.EVENT_DURATION);
      if (run !== undefined) task.runsMs.push(run);
    }
    if (action === EVENTS.TASK_COMPLETED) task.completed = true;
    if (action === EVENTS.TASK_DEAD_LETTERED) task.deadLettered = true;
    if ((action === EVENTS.TASK_FAILED || action === EVENTS.TASK_DEAD_LETTERED) && at >= task.reasonAt) {
      const reason = str(record, F.ERROR_CODE) ?? str(record, F.ERROR_MESSAGE);
      if (reason !== undefined) {
        task.reason = reason;
        task.reasonAt = at;
      }
    }
    const ranked = ATTEMPT_RANK[action];
    if (ranked !== undefined) {
      const last = task.last;
      if (last === undefined || at > last.at || (at === last.at && ranked.rank >= last.rank))
        task.last = { at, rank: ranked.rank, state: ranked.state, worker: worker ?? last?.worker };
    }
    return task;
  }

  /** Every request seen, in no particular order. */
  summaries(): RequestSummary[] {
    const out: RequestSummary[] = [];
    for (const acc of this.#requests.values()) if (acc.interesting) out.push(this.#summary(acc));
    return out;
  }

  /**
   * The rows of the newest `limit` requests first seen at or after `sinceMs` (every one when
   * undefined), newest first as the list sorts them by time: what an unfiltered list shows,
   * without summarising every request of a large window.
   */
  newest(limit: number, sinceMs: number | undefined): RequestSummary[] {
    if (limit <= 0) return [];
    // The list's time order: newer first, then the id (list-view.ts's compareBy for `time`).
    const order = (a: RequestAcc, b: RequestAcc) => b.at - a.at || a.cid.localeCompare(b.cid);
    let kept: RequestAcc[] = [];
    for (const acc of this.#requests.values()) {
      if (!acc.interesting || (sinceMs !== undefined && acc.at < sinceMs)) continue;
      kept.push(acc);
      // Cut back to `limit` whenever twice as many are held: linear in the requests, not n log n.
      if (kept.length >= 2 * limit) kept = kept.sort(order).slice(0, limit);
    }
    return kept
      .sort(order)
      .slice(0, limit)
      .map((acc) => this.#summary(acc));
  }

  /** Tasks seen, for the overview: type, state, queue waits and run times. */
  tasks(): TaskFacts[] {
    return [...this.#tasks.values()].map((task) => ({
      taskId: task.taskId,
      type: task.type,
      queue: task.queue,
      state: taskState(task),
      attempts: attemptsOf(task),
      queueWaitsMs: task.queueWaitsMs,
      runsMs: task.runsMs,
      firstAt: task.firstAt,
    }));
  }

  #summary(acc: RequestAcc): RequestSummary {
    const status = acc.nginx?.value.status ?? acc.api?.value.status;
    const tasks = [...acc.taskIds].flatMap((id) => this.#tasks.get(id) ?? []);
    const states = tasks.map(taskState);
    let state: TaskState | undefined;
    for (const candidate of STATE_ORDER) if (state === undefined && states.includes(candidate)) state = candidate;
    if (state === undefined && acc.blocked) state = 'duplicate';
    let lastAt = acc.lastAt;
    let latest: TaskAcc | undefined;
    for (const task of tasks) {
      lastAt = Math.max(lastAt, task.lastAt);
      if (latest === undefined || (task.last?.at ?? 0) > (latest.last?.at ?? 0)) latest = task;
    }
    const workers = new Set<string>();
    for (const task of tasks) for (const worker of task.workers) workers.add(worker);
    const reasonTask = tasks.filter((t) => t.reason !== undefined).sort((a, b) => b.reasonAt - a.reasonAt)[0];
    const errors = acc.errors + (status !== undefined && status >= 500 ? 1 : 0);
    return {
      correlationId: acc.cid,
      at: acc.at,
      method: acc.method?.value,
      route: acc.apiRoute?.value ?? acc.nginxPath?.value,
      status,
      durationMs: acc.nginx?.value.durationMs ?? acc.api?.value.durationMs,
      totalMs: lastAt - acc.at,
      tasks: tasks.length,
      taskIds: tasks.map((t) => t.taskId).sort(),
      taskType: joined(tasks.map((t) => t.type)),
      queue: joined(tasks.map((t) => t.queue)),
      worker: latest?.last?.worker,
      workers: [...workers].sort(),
      state,
      attempts: Math.max(0, ...tasks.map(attemptsOf)),
      reason: reasonTask?.reason,
      idempotencyKey: acc.idempotencyKey,
      duplicates: acc.duplicates,
      errors,
      requests: Math.max(acc.received, acc.nginxLines, 1),
      services: [...acc.services].sort(),
      instances: [...acc.instances].sort(),
      failed: states.includes('dead-lettered') || states.includes('failed') || (status !== undefined && status >= 500),
      runningSince: runningSince(tasks),
    };
  }
}

/** What the overview needs of one task. */
export interface TaskFacts {
  readonly taskId: string;
  readonly type: string | undefined;
  readonly queue: string | undefined;
  readonly state: TaskState;
  readonly attempts: number;
  readonly queueWaitsMs: readonly number[];
  readonly runsMs: readonly number[];
  readonly firstAt: number;
}

/** The start of the earliest attempt running now among `tasks`, if one is. */
function runningSince(tasks: readonly TaskAcc[]): number | undefined {
  let since: number | undefined;
  for (const task of tasks)
    if (taskState(task) === 'running' && task.last !== undefined) since = Math.min(since ?? task.last.at, task.last.at);
  return since;
}

/** Attempts the lines show, whatever order they came in (files are read one after another). */
function attemptsOf(task: TaskAcc): number {
  return Math.max(task.attempts, task.unnumberedStarts);
}

function taskState(task: TaskAcc): TaskState {
  if (task.deadLettered) return 'dead-lettered';
  if (task.completed) return 'succeeded';
  return task.last?.state ?? 'queued';
}

function joined(values: readonly (string | undefined)[]): string | undefined {
  const distinct = [...new Set(values.filter((v): v is string => v !== undefined))].sort();
  return distinct.length === 0 ? undefined : distinct.join(',');
}

/** Summarise lines into requests, filtered and sorted (newest first by default). */
export function summariseRequests(hits: readonly Hit[], filter: RequestFilter = {}): RequestSummary[] {
  return listRequests(new RequestLedger().addAll(hits).summaries(), filter);
}
