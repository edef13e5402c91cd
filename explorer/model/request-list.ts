/**
 * Recent lines → the list of recent requests shown when dtq-explore runs without an id: one
 * entry per correlation id with its time, route, status, duration, tasks, duplicates and
 * errors. Status polls and health probes are noise in this list and stay out of it.
 */
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { nsAsMs, num, str, timestampOf } from './fields.ts';
import { isDuplicateAction, isTaskAction, polledTaskId } from './join.ts';
import type { Hit } from './types.ts';

/** One row of the request list. */
export interface RequestSummary {
  readonly correlationId: string;
  readonly at: number;
  readonly method: string | undefined;
  readonly route: string | undefined;
  readonly status: number | undefined;
  readonly durationMs: number | undefined;
  readonly tasks: number;
  readonly duplicates: number;
  readonly errors: number;
  /** Requests sharing this correlation id. */
  readonly requests: number;
  readonly services: readonly string[];
  readonly instances: readonly string[];
  /** A 5xx, a failed or dead-lettered job: what `--status failed` keeps. */
  readonly failed: boolean;
}

/** Filters of the list: `--since`, `--service`, `--status`. */
export interface RequestFilter {
  readonly sinceMs?: number | undefined;
  /** Service name (api, worker, nginx) or instance (worker-2). */
  readonly service?: string | undefined;
  /** 'failed', an exact code ('202') or a class ('4xx'). */
  readonly status?: string | undefined;
  readonly limit?: number | undefined;
}

const PROBE_PATHS: ReadonlySet<string> = new Set(['/health', '/ready']);

interface Acc {
  cid: string;
  at: number;
  method: string | undefined;
  route: string | undefined;
  apiStatus: number | undefined;
  nginxStatus: number | undefined;
  apiDurationMs: number | undefined;
  nginxDurationMs: number | undefined;
  tasks: Set<string>;
  duplicates: number;
  errors: number;
  received: number;
  nginxLines: number;
  services: Set<string>;
  instances: Set<string>;
  deadLettered: boolean;
  taskFailures: number;
  taskSuccesses: number;
  interesting: boolean;
}

/** Summarise recent lines into requests, newest first, filtered. */
export function summariseRequests(hits: readonly Hit[], filter: RequestFilter = {}): RequestSummary[] {
  const byCid = new Map<string, Acc>();
  for (const { record } of hits) {
    const cid = str(record, F.CORRELATION_ID);
    const at = timestampOf(record);
    if (cid === undefined || at === undefined) continue;
    let acc = byCid.get(cid);
    if (acc === undefined) {
      acc = {
        cid,
        at,
        method: undefined,
        route: undefined,
        apiStatus: undefined,
        nginxStatus: undefined,
        apiDurationMs: undefined,
        nginxDurationMs: undefined,
        tasks: new Set(),
        duplicates: 0,
        errors: 0,
        received: 0,
        nginxLines: 0,
        services: new Set(),
        instances: new Set(),
        deadLettered: false,
        taskFailures: 0,
        taskSuccesses: 0,
        interesting: false,
      };
      byCid.set(cid, acc);
    }
    const action = str(record, F.EVENT_ACTION);
    const service = str(record, F.SERVICE_NAME);
    const path = str(record, F.URL_PATH);
    acc.at = Math.min(acc.at, at);
    if (service) acc.services.add(service);
    const instance = str(record, F.SERVICE_INSTANCE);
    if (instance) acc.instances.add(instance);
    const level = str(record, F.LOG_LEVEL);
    if (level === 'error' || level === 'fatal') acc.errors++;
    if (isDuplicateAction(action)) acc.duplicates++;
    if (isTaskAction(action)) {
      const taskId = str(record, F.TASK_ID);
      if (taskId) acc.tasks.add(taskId);
    }
    if (action === EVENTS.TASK_DEAD_LETTERED) acc.deadLettered = true;
    if (action === EVENTS.TASK_FAILED) acc.taskFailures++;
    if (action === EVENTS.TASK_COMPLETED) acc.taskSuccesses++;
    const isHttp =
      action === EVENTS.HTTP_REQUEST_RECEIVED ||
      action === EVENTS.HTTP_REQUEST_COMPLETED ||
      action === EVENTS.NGINX_ACCESS;
    if (isHttp && polledTaskId(record) === undefined && !PROBE_PATHS.has(path ?? '')) acc.interesting = true;
    if (isTaskAction(action) || isDuplicateAction(action)) acc.interesting = true;
    if (action === EVENTS.HTTP_REQUEST_RECEIVED) {
      acc.received++;
      acc.method ??= str(record, F.HTTP_METHOD);
      acc.route ??= str(record, F.HTTP_ROUTE) ?? path;
    }
    if (action === EVENTS.HTTP_REQUEST_COMPLETED) {
      acc.apiStatus = num(record, F.HTTP_STATUS);
      acc.apiDurationMs = nsAsMs(record, F.EVENT_DURATION);
      acc.route ??= str(record, F.HTTP_ROUTE) ?? path;
      acc.method ??= str(record, F.HTTP_METHOD);
    }
    if (action === EVENTS.NGINX_ACCESS) {
      acc.nginxLines++;
      acc.nginxStatus = num(record, F.HTTP_STATUS);
      acc.nginxDurationMs = nsAsMs(record, F.EVENT_DURATION);
      acc.method ??= str(record, F.HTTP_METHOD);
      acc.route ??= path;
    }
  }

  const summaries: RequestSummary[] = [];
  for (const acc of byCid.values()) {
    if (!acc.interesting) continue;
    const status = acc.nginxStatus ?? acc.apiStatus;
    const errors = acc.errors + (status !== undefined && status >= 500 ? 1 : 0);
    summaries.push({
      correlationId: acc.cid,
      at: acc.at,
      method: acc.method,
      route: acc.route,
      status,
      durationMs: acc.nginxDurationMs ?? acc.apiDurationMs,
      tasks: acc.tasks.size,
      duplicates: acc.duplicates,
      errors,
      requests: Math.max(acc.received, acc.nginxLines, 1),
      services: [...acc.services].sort(),
      instances: [...acc.instances].sort(),
      // A failure with no success after it: dead-lettered, refused as poison, or retrying now.
      failed:
        acc.deadLettered ||
        (acc.taskFailures > 0 && acc.taskSuccesses < acc.tasks.size) ||
        (status !== undefined && status >= 500),
    });
  }
  return summaries
    .filter((s) => matches(s, filter))
    .sort((a, b) => b.at - a.at || a.correlationId.localeCompare(b.correlationId))
    .slice(0, filter.limit ?? Number.POSITIVE_INFINITY);
}

function matches(summary: RequestSummary, filter: RequestFilter): boolean {
  if (filter.sinceMs !== undefined && summary.at < filter.sinceMs) return false;
  if (
    filter.service !== undefined &&
    !summary.services.includes(filter.service) &&
    !summary.instances.includes(filter.service)
  )
    return false;
  const wanted = filter.status;
  if (wanted === undefined) return true;
  if (wanted === 'failed') return summary.failed;
  if (/^\dxx$/i.test(wanted)) return summary.status !== undefined && String(summary.status)[0] === wanted[0];
  return summary.status !== undefined && String(summary.status) === wanted;
}

/** Parse `--since`: a duration back from now (90s, 15m, 2h, 1d) or an ISO date. */
export function parseSince(text: string, now: number): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  if (match) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
    return now - Number(match[1]) * unit;
  }
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
