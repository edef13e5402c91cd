/**
 * The join rules: which task ids a correlation id's lines pull in, and which correlation ids
 * a task's lines lead back to. Pure, so the sources only fetch and the rules live here.
 */
import { DUPLICATE_EVENTS, EVENTS, F, type LogRecord } from '../../workload/log/vocabulary.ts';
import { str } from './fields.ts';

/** The route whose GET requests are status polls of one task. */
export const STATUS_ROUTE = '/api/v1/tasks/:task_id';
const STATUS_PATH = /^\/api\/v1\/tasks\/([^/?]+)$/;

/** Events written about a job by the API (enqueue) or a worker; their task_id is the job's own. */
const TASK_ACTIONS: ReadonlySet<string> = new Set([
  EVENTS.TASK_ENQUEUED,
  EVENTS.TASK_STARTED,
  EVENTS.TASK_COMPLETED,
  EVENTS.TASK_FAILED,
  EVENTS.TASK_RETRY_SCHEDULED,
  EVENTS.TASK_STALLED,
  EVENTS.TASK_DEAD_LETTERED,
  EVENTS.LOCK_ACQUIRED,
  EVENTS.LOCK_CONTENDED,
  EVENTS.LOCK_RELEASED,
  EVENTS.LOCK_LOST,
  EVENTS.RESULT_CACHE_HIT,
  EVENTS.RESULT_WRITE_REJECTED,
]);

/** True for events that describe a job's life (and so name the job in task_id). */
export function isTaskAction(action: string | undefined): boolean {
  return action !== undefined && TASK_ACTIONS.has(action);
}

/** True for the events that record a blocked duplicate. */
export function isDuplicateAction(action: string | undefined): action is keyof typeof DUPLICATE_EVENTS {
  return action !== undefined && action in DUPLICATE_EVENTS;
}

/** The task a status poll asks about, when the line is part of one. */
export function polledTaskId(record: LogRecord): string | undefined {
  const action = str(record, F.EVENT_ACTION);
  if (action === EVENTS.TASK_STATUS_READ) return str(record, F.TASK_ID);
  if (
    action !== EVENTS.HTTP_REQUEST_RECEIVED &&
    action !== EVENTS.HTTP_REQUEST_COMPLETED &&
    action !== EVENTS.NGINX_ACCESS
  )
    return undefined;
  const method = str(record, F.HTTP_METHOD);
  if (method !== undefined && method !== 'GET') return undefined;
  const route = str(record, F.HTTP_ROUTE);
  const match = STATUS_PATH.exec(str(record, F.URL_PATH) ?? '');
  if (route !== STATUS_ROUTE && match === null) return undefined;
  return str(record, F.TASK_ID) ?? (match?.[1] === undefined ? undefined : decodeURIComponent(match[1]));
}

/**
 * Task ids a correlation id's lines pull into its trace: jobs it enqueued or a worker ran for
 * it, and tasks it polled. Task ids on duplicate events are left out on purpose: a replayed
 * request names the original's task, which belongs to the original's trace, not this one.
 */
export function joinTaskIds(records: Iterable<LogRecord>, correlationId: string): string[] {
  const ids = new Set<string>();
  for (const record of records) {
    if (str(record, F.CORRELATION_ID) !== correlationId) continue;
    const action = str(record, F.EVENT_ACTION);
    if (isTaskAction(action)) {
      const id = str(record, F.TASK_ID);
      if (id !== undefined) ids.add(id);
      continue;
    }
    const polled = polledTaskId(record);
    if (polled !== undefined) ids.add(polled);
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
