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
  /**
   * The latest attempt event: its kind (undefined before any), time, rank among events of one
   * ms, and worker. Flat fields, not an object: a ledger holds one task per request of the window.
   */
  lastState: TaskState | undefined;
  lastAt: number;
  lastRank: number;
  lastWorker: string | undefined;
  completed: boolean;
  deadLettered: boolean;
  reason: string | undefined;
  reasonAt: number;
  /** Distinct workers, in the order first seen; undefined before the first. */
  workers: string[] | undefined;
  /** Queue wait of each attempt (ms), and each attempt's run time (ms); undefined while none. */
  queueWaitsMs: number[] | undefined;
  runsMs: number[] | undefined;
  firstAt: number;
  /** The latest line of the task, whatever its event. */
  seenAt: number;
}

/**
 * One request as its lines tell it. Values chosen by time are kept as flat value/time pairs,
 * and small sets as arrays made on first use: a ledger holds one of these per request of the
 * window (hundreds of thousands over a large log directory), so each object it does not
 * allocate is memory the list pass does not need.
 */
interface RequestAcc {
  readonly cid: string;
  at: number;
  lastAt: number;
  /**
   * The earliest line's method, the API's route (else nginx's path), each with the time of the
   * line it came from (+Infinity while undefined): the first request's.
   */
  method: string | undefined;
  methodAt: number;
  apiRoute: string | undefined;
  apiRouteAt: number;
  nginxPath: string | undefined;
  nginxPathAt: number;
  /**
   * The latest answer of each hop, with its line's time (-Infinity before any): a correlation
   * id reused by a client ends on its last request.
   */
  apiAt: number;
  apiStatus: number | undefined;
  apiDurationMs: number | undefined;
  nginxAt: number;
  nginxStatus: number | undefined;
  nginxDurationMs: number | undefined;
  /** Task ids in the order first seen; undefined before the first. */
  taskIds: string[] | undefined;
  duplicates: number;
  /** Blocked as a duplicate itself (a replay, a conflict, a mismatch), not a task's cache hit. */
  blocked: boolean;
  errors: number;
  received: number;
  nginxLines: number;
  services: string[] | undefined;
  instances: string[] | undefined;
  idempotencyKey: string | undefined;
  interesting: boolean;
}

/** True when `value` of a line at `at` replaces the earliest one kept (in one millisecond: the smaller). */
function isEarlier(keptAt: number, kept: string | undefined, at: number, value: string | undefined): value is string {
  return value !== undefined && (kept === undefined || at < keptAt || (at === keptAt && value < kept));
}

/** True when an answer at `at` replaces the latest one kept (in one millisecond: the higher status, the error). */
function isLater(keptAt: number, kept: number | undefined, at: number, status: number | undefined): boolean {
  return at > keptAt || (at === keptAt && (status ?? 0) > (kept ?? 0));
}

/** `list` with `value` added when not in it yet (see {@link appended}). */
function withValue(list: string[] | undefined, value: string): string[] {
  if (list === undefined) return [value];
  return list.includes(value) ? list : list.concat(value);
}

/**
 * `list` and `value` in a new array of exactly their length. A push (or a spread) may leave
 * the array's store with room for many more, and these lists hold one to three values, held
 * per request and task.
 */
function appended(list: number[] | undefined, value: number): number[] {
  return list === undefined ? [value] : list.concat(value);
}

const NO_NUMBERS: readonly number[] = Object.freeze([]);
/**
 * Distinct texts a ledger shares between its requests: routes, types and queues are few, but a
 * path or reason is whatever was logged, so beyond this many each request keeps its own.
 */
const SHARED_TEXTS = 4096;

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
  /** One copy of each route, path, task type, queue and reason kept, up to SHARED_TEXTS of them. */
  readonly #texts = new Map<string, string>();

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
    if (service) acc.services = withValue(acc.services, service);
    const instance = str(record, F.SERVICE_INSTANCE);
    if (instance) acc.instances = withValue(acc.instances, instance);
    const level = str(record, F.LOG_LEVEL);
    if (level === 'error' || level === 'fatal') acc.errors++;
    acc.idempotencyKey ??= str(record, F.IDEMPOTENCY_KEY);
    if (isDuplicateAction(action)) {
      acc.duplicates++;
      if (!isTaskAction(action)) acc.blocked = true;
      acc.interesting = true;
    }
    if (task !== undefined) {
      acc.taskIds = withValue(acc.taskIds, task.taskId);
      acc.interesting = true;
    }
    if (!http) return;
    acc.interesting = true;
    // Lines come in any order (files are read one after another): what a row shows is chosen
    // by time, never by which line was read first.
    const method = str(record, F.HTTP_METHOD);
    if (isEarlier(acc.methodAt, acc.method, at, method)) {
      acc.method = method;
      acc.methodAt = at;
    }
    const status = num(record, F.HTTP_STATUS);
    if (action === EVENTS.NGINX_ACCESS) {
      acc.nginxLines++;
      // The API's route (a pattern) reads better than nginx's path: nginx's only stands in.
      const path = str(record, F.URL_PATH);
      if (isEarlier(acc.nginxPathAt, acc.nginxPath, at, path)) {
        acc.nginxPath = this.#shared(path);
        acc.nginxPathAt = at;
      }
      if (isLater(acc.nginxAt, acc.nginxStatus, at, status)) {
        acc.nginxAt = at;
        acc.nginxStatus = status;
        acc.nginxDurationMs = nsAsMs(record, F.EVENT_DURATION);
      }
      return;
    }
    const route = str(record, F.HTTP_ROUTE) ?? str(record, F.URL_PATH);
    if (isEarlier(acc.apiRouteAt, acc.apiRoute, at, route)) {
      acc.apiRoute = this.#shared(route);
      acc.apiRouteAt = at;
    }
    if (action === EVENTS.HTTP_REQUEST_RECEIVED) acc.received++;
    else if (isLater(acc.apiAt, acc.apiStatus, at, status)) {
      acc.apiAt = at;
      acc.apiStatus = status;
      acc.apiDurationMs = nsAsMs(record, F.EVENT_DURATION);
    }
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
        methodAt: Number.POSITIVE_INFINITY,
        apiRoute: undefined,
        apiRouteAt: Number.POSITIVE_INFINITY,
        nginxPath: undefined,
        nginxPathAt: Number.POSITIVE_INFINITY,
        apiAt: Number.NEGATIVE_INFINITY,
        apiStatus: undefined,
        apiDurationMs: undefined,
        nginxAt: Number.NEGATIVE_INFINITY,
        nginxStatus: undefined,
        nginxDurationMs: undefined,
        taskIds: undefined,
        duplicates: 0,
        blocked: false,
        errors: 0,
        received: 0,
        nginxLines: 0,
        services: undefined,
        instances: undefined,
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
        lastState: undefined,
        lastAt: Number.NEGATIVE_INFINITY,
        lastRank: 0,
        lastWorker: undefined,
        completed: false,
        deadLettered: false,
        reason: undefined,
        reasonAt: Number.NEGATIVE_INFINITY,
        workers: undefined,
        queueWaitsMs: undefined,
        runsMs: undefined,
        firstAt: at,
        seenAt: at,
      };
      this.#tasks.set(taskId, task);
    }
    task.firstAt = Math.min(task.firstAt, at);
    task.seenAt = Math.max(task.seenAt, at);
    if (task.type === undefined) task.type = this.#shared(str(record, F.TASK_TYPE));
    // The enqueue line names the queue; a worker's line stands in until it is read. A
    // dead-letter line may name the dead-letter queue, which is not where the task ran.
    const queue = str(record, F.TASK_QUEUE);
    if (action === EVENTS.TASK_ENQUEUED && queue !== undefined) {
      task.queue = this.#shared(queue);
      task.queueFromEnqueue = true;
    } else if (!task.queueFromEnqueue && action !== EVENTS.TASK_DEAD_LETTERED) task.queue ??= this.#shared(queue);
    const attempt = num(record, F.TASK_ATTEMPT);
    const worker = str(record, F.SERVICE_INSTANCE);
    if (attempt !== undefined) task.attempts = Math.max(task.attempts, attempt);
    if (action === EVENTS.TASK_STARTED) {
      if (attempt === undefined) task.unnumberedStarts++;
      if (worker) task.workers = withValue(task.workers, worker);
      const wait = nsAsMs(record, F.TASK_QUEUE_WAIT);
      if (wait !== undefined) task.queueWaitsMs = appended(task.queueWaitsMs, wait);
    }
    if (action === EVENTS.TASK_COMPLETED || action === EVENTS.TASK_FAILED) {
      const run = nsAsMs(record, F.EVENT_DURATION);
      if (run !== undefined) task.runsMs = appended(task.runsMs, run);
    }
    if (action === EVENTS.TASK_COMPLETED) task.completed = true;
    if (action === EVENTS.TASK_DEAD_LETTERED) task.deadLettered = true;
    if ((action === EVENTS.TASK_FAILED || action === EVENTS.TASK_DEAD_LETTERED) && at >= task.reasonAt) {
      const reason = str(record, F.ERROR_CODE) ?? str(record, F.ERROR_MESSAGE);
      if (reason !== undefined) {
        task.reason = this.#shared(reason);
        task.reasonAt = at;
      }
    }
    const ranked = ATTEMPT_RANK[action];
    if (
      ranked !== undefined &&
      (task.lastState === undefined || at > task.lastAt || (at === task.lastAt && ranked.rank >= task.lastRank))
    ) {
      task.lastState = ranked.state;
      task.lastAt = at;
      task.lastRank = ranked.rank;
      task.lastWorker = worker ?? task.lastWorker;
    }
    return task;
  }

  /**
   * The copy of `text` the ledger holds already, else `text` (kept as that copy while there is
   * room): every line parses into strings of its own, and the same route or task type held once
   * per request is most of what a large window's ledger would hold of text.
   */
  #shared<T extends string | undefined>(text: T): T {
    if (text === undefined) return text;
    const known = this.#texts.get(text);
    if (known !== undefined) return known as T;
    if (this.#texts.size < SHARED_TEXTS) this.#texts.set(text, text);
    return text;
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
      queueWaitsMs: task.queueWaitsMs ?? NO_NUMBERS,
      runsMs: task.runsMs ?? NO_NUMBERS,
      firstAt: task.firstAt,
    }));
  }

  #summary(acc: RequestAcc): RequestSummary {
    const status = acc.nginxStatus ?? acc.apiStatus;
    const tasks = (acc.taskIds ?? []).flatMap((id) => this.#tasks.get(id) ?? []);
    const states = tasks.map(taskState);
    let state: TaskState | undefined;
    for (const candidate of STATE_ORDER) if (state === undefined && states.includes(candidate)) state = candidate;
    if (state === undefined && acc.blocked) state = 'duplicate';
    let lastAt = acc.lastAt;
    let latest: TaskAcc | undefined;
    for (const task of tasks) {
      lastAt = Math.max(lastAt, task.seenAt);
      if (latest === undefined || lastEventAt(task) > lastEventAt(latest)) latest = task;
    }
    const workers = new Set<string>();
    for (const task of tasks) for (const worker of task.workers ?? []) workers.add(worker);
    const reasonTask = tasks.filter((t) => t.reason !== undefined).sort((a, b) => b.reasonAt - a.reasonAt)[0];
    const errors = acc.errors + (status !== undefined && status >= 500 ? 1 : 0);
    return {
      correlationId: acc.cid,
      at: acc.at,
      method: acc.method,
      route: acc.apiRoute ?? acc.nginxPath,
      status,
      durationMs: acc.nginxDurationMs ?? acc.apiDurationMs,
      totalMs: lastAt - acc.at,
      tasks: tasks.length,
      taskIds: tasks.map((t) => t.taskId).sort(),
      taskType: joined(tasks.map((t) => t.type)),
      queue: joined(tasks.map((t) => t.queue)),
      worker: latest?.lastWorker,
      workers: [...workers].sort(),
      state,
      attempts: Math.max(0, ...tasks.map(attemptsOf)),
      reason: reasonTask?.reason,
      idempotencyKey: acc.idempotencyKey,
      duplicates: acc.duplicates,
      errors,
      requests: Math.max(acc.received, acc.nginxLines, 1),
      services: [...(acc.services ?? [])].sort(),
      instances: [...(acc.instances ?? [])].sort(),
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
  for (const task of tasks) if (taskState(task) === 'running') since = Math.min(since ?? task.lastAt, task.lastAt);
  return since;
}

/** When the task's latest attempt event was written; 0 before any. */
function lastEventAt(task: TaskAcc): number {
  return task.lastState === undefined ? 0 : task.lastAt;
}

/** Attempts the lines show, whatever order they came in (files are read one after another). */
function attemptsOf(task: TaskAcc): number {
  return Math.max(task.attempts, task.unnumberedStarts);
}

function taskState(task: TaskAcc): TaskState {
  if (task.deadLettered) return 'dead-lettered';
  if (task.completed) return 'succeeded';
  return task.lastState ?? 'queued';
}

function joined(values: readonly (string | undefined)[]): string | undefined {
  const distinct = [...new Set(values.filter((v): v is string => v !== undefined))].sort();
  return distinct.length === 0 ? undefined : distinct.join(',');
}

/** Summarise lines into requests, filtered and sorted (newest first by default). */
export function summariseRequests(hits: readonly Hit[], filter: RequestFilter = {}): RequestSummary[] {
  return listRequests(new RequestLedger().addAll(hits).summaries(), filter);
}
