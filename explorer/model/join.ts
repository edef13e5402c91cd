/**
 * The join rules: which task ids a correlation id's lines pull in, and which correlation ids
 * a task's lines lead back to. Pure, so the sources only fetch and the rules live here.
 */
import { DUPLICATE_EVENTS, EVENTS, F, type LogRecord } from '../../contract/vocabulary.ts';
import { str } from './fields.ts';
import { nginxFormOf } from './paths.ts';

/** The route whose GET requests are status polls of one task. */
export const STATUS_ROUTE = '/api/v1/tasks/:task_id';
/** Paths of status polls: this prefix, then one path segment (the task id, URL-encoded). */
export const STATUS_PATH_PREFIX = '/api/v1/tasks/';

/** The events of a job's attempts, written by the worker running it: each must name its job. */
export const ATTEMPT_ACTIONS: ReadonlySet<string> = new Set([
  EVENTS.TASK_STARTED,
  EVENTS.TASK_COMPLETED,
  EVENTS.TASK_FAILED,
  EVENTS.TASK_RETRY_SCHEDULED,
  EVENTS.TASK_STALLED,
  EVENTS.TASK_DEAD_LETTERED,
  EVENTS.TASK_LEASE_LOST,
  EVENTS.TASK_RESUMED,
  EVENTS.TASK_FINISH_REFUSED,
]);

/** The events of a job's lock and result, written by the worker running one attempt of it. */
export const LOCK_AND_RESULT_ACTIONS: ReadonlySet<string> = new Set([
  EVENTS.LOCK_ACQUIRED,
  EVENTS.LOCK_CONTENDED,
  EVENTS.LOCK_RELEASED,
  EVENTS.LOCK_LOST,
  EVENTS.RESULT_CACHE_HIT,
  EVENTS.RESULT_WRITTEN,
  EVENTS.RESULT_WRITE_REJECTED,
]);

/** Events written about a job by the API (enqueue) or a worker; their task_id is the job's own. */
const TASK_ACTIONS: ReadonlySet<string> = new Set([
  EVENTS.TASK_ENQUEUED,
  ...ATTEMPT_ACTIONS,
  ...LOCK_AND_RESULT_ACTIONS,
  // Written by the API, not a worker: a no-op enqueue names the job it found.
  EVENTS.TASK_ALREADY_ENQUEUED,
]);

/** True for events that describe a job's life (and so name the job in task_id). */
export function isTaskAction(action: string | undefined): boolean {
  return action !== undefined && TASK_ACTIONS.has(action);
}

/** True for the events that record a blocked duplicate. */
export function isDuplicateAction(action: string | undefined): action is keyof typeof DUPLICATE_EVENTS {
  // Own keys only: `toString in DUPLICATE_EVENTS` is true, and an action is whatever was logged.
  return action !== undefined && Object.hasOwn(DUPLICATE_EVENTS, action);
}

/** The task a status poll asks about, when the line is part of one. */
export function polledTaskId(record: LogRecord): string | undefined {
  const action = str(record, F.EVENT_ACTION);
  return action === undefined ? undefined : polledTaskIdOf(record, action, str(record, F.TASK_ID));
}

/** {@link polledTaskId} for a caller that has read the line's action and task id already. */
export function polledTaskIdOf(record: LogRecord, action: string, taskId: string | undefined): string | undefined {
  if (action === EVENTS.TASK_STATUS_READ) return taskId;
  if (
    action !== EVENTS.HTTP_REQUEST_RECEIVED &&
    action !== EVENTS.HTTP_REQUEST_COMPLETED &&
    action !== EVENTS.NGINX_ACCESS
  )
    return undefined;
  const method = str(record, F.HTTP_METHOD);
  if (method !== undefined && method !== 'GET') return undefined;
  // The route names a status read outright; the path is parsed only when it is missing.
  if (taskId !== undefined && str(record, F.HTTP_ROUTE) === STATUS_ROUTE) return taskId;
  // nginx logs $uri, decoded and normalised; the API the path as sent. Both are read in
  // nginx's form (paths.ts), so the two lines of one poll name the same task.
  const path = str(record, F.URL_PATH);
  const segment = statusPathSegment(action === EVENTS.NGINX_ACCESS || path === undefined ? path : nginxFormOf(path));
  if (segment === undefined) return undefined;
  return taskId ?? segment;
}

/**
 * The task a status path (`/api/v1/tasks/<id>`) names, or undefined for any other path. The
 * path is read as the API logs it (as sent), in nginx's form like {@link polledTaskIdOf}
 * does; an nginx path, decoded already, reads the same unless it holds a `%XX` of its own.
 * Never throws on a malformed escape.
 */
export function statusPathTaskId(path: string | undefined): string | undefined {
  return statusPathSegment(path === undefined ? undefined : nginxFormOf(path));
}

/** The task id segment of a status path (`/api/v1/tasks/<id>`), as the path spells it. */
function statusPathSegment(path: string | undefined): string | undefined {
  if (path === undefined || !path.startsWith(STATUS_PATH_PREFIX)) return undefined;
  const segment = path.slice(STATUS_PATH_PREFIX.length);
  return segment === '' || segment.includes('/') || segment.includes('?') ? undefined : segment;
}

/** The fields of a line that the join rule reads. */
export interface JoinFields {
  readonly correlationId: string | undefined;
  readonly action: string;
  readonly taskId: string | undefined;
  /** The task the line polls, when it is part of a status poll ({@link polledTaskIdOf}). */
  readonly polled: string | undefined;
}

/**
 * The join rule: the task a line of `correlationId` pulls into its trace, the job it enqueued
 * or a worker ran for it, or the task it polled. Task ids on duplicate events are left out on
 * purpose: a replayed request names the original's task, which belongs to the original's
 * trace, not this one.
 */
export function joinedTaskId(line: JoinFields, correlationId: string): string | undefined {
  if (line.correlationId !== correlationId) return undefined;
  return isTaskAction(line.action) ? line.taskId : line.polled;
}

/** Task ids a correlation id's records pull into its trace, by {@link joinedTaskId}. */
export function joinTaskIds(records: Iterable<LogRecord>, correlationId: string): string[] {
  const ids = new Set<string>();
  for (const record of records) {
    const action = str(record, F.EVENT_ACTION) ?? 'unknown';
    const taskId = str(record, F.TASK_ID);
    const fields = {
      correlationId: str(record, F.CORRELATION_ID),
      action,
      taskId,
      polled: polledTaskIdOf(record, action, taskId),
    };
    const id = joinedTaskId(fields, correlationId);
    if (id !== undefined) ids.add(id);
  }
  return [...ids];
}

/**
 * Correlation ids that a task's own lines carry (the job data holds the creating request's
 * id), most frequent first: what `--task` opens.
 */
export function owningCorrelationIds(records: Iterable<LogRecord>, taskId: string): string[] {
  const counts = new Map<string, number>();
  for (const record of records) {
    if (str(record, F.TASK_ID) !== taskId) continue;
    if (!isTaskAction(str(record, F.EVENT_ACTION))) continue;
    const cid = str(record, F.CORRELATION_ID);
    if (cid === undefined) continue;
    // The enqueue line names the request that created the job: it outranks everything else.
    const weight = str(record, F.EVENT_ACTION) === EVENTS.TASK_ENQUEUED ? 1000 : 1;
    counts.set(cid, (counts.get(cid) ?? 0) + weight);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([cid]) => cid);
}

/**
 * Correlation ids of the lines that carry W3C trace id `traceId`, most frequent first: what
 * `dtq-explore <trace id>` opens (a trace normally belongs to one request).
 */
export function correlationIdsOfTrace(records: Iterable<LogRecord>, traceId: string): string[] {
  const counts = new Map<string, number>();
  for (const record of records) {
    if (str(record, F.TRACE_ID) !== traceId) continue;
    const cid = str(record, F.CORRELATION_ID);
    if (cid !== undefined) counts.set(cid, (counts.get(cid) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([cid]) => cid);
}
