/**
 * The doctor's reading of a sample of lines (already through the run's mapping), pure: per
 * service, which contract events and fields it writes, with counts; then what the explorer
 * can and cannot rebuild from them, and the exact log fields or mapping lines to add.
 */
import { printable } from '../../contract/terminal-text.ts';
import { DUPLICATE_EVENTS, EVENTS, F, type LogRecord } from '../../contract/vocabulary.ts';
import { CONTRACT_EVENTS, str, timestampOf } from '../model/fields.ts';
import { polledTaskId } from '../model/join.ts';

/** What one service (role and process) wrote in the sample. */
export interface ServiceCensus {
  readonly service: string;
  readonly instance: string;
  readonly lines: number;
  /** Contract events and how many lines carry each. */
  readonly events: Readonly<Record<string, number>>;
  /** Lines whose event is not a contract event (or absent), by the value found. */
  readonly unknownEvents: Readonly<Record<string, number>>;
  /** Contract fields the explorer reads and how many lines carry each. */
  readonly fields: Readonly<Record<string, number>>;
  /** Lines without a valid @timestamp. */
  readonly untimed: number;
}

/** One part of the timeline and whether the sample can draw it. */
export interface PartVerdict {
  readonly part: string;
  readonly ok: boolean;
  /** Why not, when it cannot. */
  readonly reason?: string;
}

/** The doctor's whole report. */
export interface DoctorReport {
  readonly lines: number;
  readonly services: readonly ServiceCensus[];
  readonly parts: readonly PartVerdict[];
  /** Exact fields to log or mapping lines to add, most important first. */
  readonly fixes: readonly string[];
}

/** The fields counted per service: those the timeline reads (docs/log-contract.md). */
const COUNTED = [
  F.CORRELATION_ID,
  F.TASK_ID,
  F.SERVICE_INSTANCE,
  F.EVENT_SEQUENCE,
  F.HTTP_METHOD,
  F.URL_PATH,
  F.HTTP_STATUS,
  F.EVENT_DURATION,
  F.TASK_ATTEMPT,
  F.TASK_QUEUE_WAIT,
  F.TASK_RETRY_DELAY,
  F.IDEMPOTENCY_KEY,
  F.ORIGINAL_TASK_ID,
] as const;
const WORKER_EVENTS = [EVENTS.TASK_STARTED, EVENTS.TASK_COMPLETED, EVENTS.TASK_FAILED] as const;
const HTTP_EVENTS = [EVENTS.HTTP_REQUEST_RECEIVED, EVENTS.HTTP_REQUEST_COMPLETED] as const;
/** Field names that often hold the writer's name, for the fix that maps them. */
const SERVICE_FIELDS = ['service', 'service_name', 'app', 'application', 'component', 'logger', 'name'];
/** Field names that often hold a line's time, for the fix that maps them. */
const TIME_FIELDS = ['timestamp', 'time', 'ts', 'datetime', 'asctime', 'date', 'timeUnixNano'];

/** Counts by a logged value: no prototype, so a value like `__proto__` or `constructor` is a key like any other. */
function counts(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}

function bump(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/** Count a sample per service. */
export function census(records: Iterable<LogRecord>): ServiceCensus[] {
  const byKey = new Map<
    string,
    {
      service: string;
      instance: string;
      lines: number;
      events: Record<string, number>;
      unknownEvents: Record<string, number>;
      fields: Record<string, number>;
      untimed: number;
    }
  >();
  for (const record of records) {
    const service = str(record, F.SERVICE_NAME) ?? '(no service.name)';
    const instance = str(record, F.SERVICE_INSTANCE) ?? service;
    const key = `${service}\u0000${instance}`;
    let entry = byKey.get(key);
    if (entry === undefined) {
      entry = { service, instance, lines: 0, events: counts(), unknownEvents: counts(), fields: counts(), untimed: 0 };
      byKey.set(key, entry);
    }
    entry.lines++;
    if (timestampOf(record) === undefined) entry.untimed++;
    const action = str(record, F.EVENT_ACTION);
    if (action !== undefined && CONTRACT_EVENTS.has(action)) bump(entry.events, action);
    else bump(entry.unknownEvents, action ?? '(no event.action)');
    for (const field of COUNTED) if (record[field] !== undefined && record[field] !== '') bump(entry.fields, field);
    if (polledTaskId(record) !== undefined) bump(entry.fields, 'status poll');
  }
  return [...byKey.values()].sort((a, b) => a.service.localeCompare(b.service) || a.instance.localeCompare(b.instance));
}

/** Lines of `rows` with one of `events`, and how many of them carry `field`. */
function carried(
  events: readonly string[],
  field: string,
  rows: readonly LogRecord[],
): { lines: number; with: number } {
  let lines = 0;
  let withField = 0;
  const wanted = new Set(events);
  for (const record of rows) {
    const action = str(record, F.EVENT_ACTION);
    if (action === undefined || !wanted.has(action)) continue;
    lines++;
    if (str(record, field) !== undefined) withField++;
  }
  return { lines, with: withField };
}

/** The report: the census, the parts of the timeline it allows, and the fixes. */
export function diagnose(records: readonly LogRecord[]): DoctorReport {
  const services = census(records);
  const count = (event: string) => services.reduce((n, s) => n + (s.events[event] ?? 0), 0);
  const fixes: string[] = [];
  const parts: PartVerdict[] = [];
  const part = (name: string, reason: string | undefined) =>
    parts.push(reason === undefined ? { part: name, ok: true } : { part: name, ok: false, reason });

  const untimed = services.reduce((n, s) => n + s.untimed, 0);
  if (untimed > 0) {
    const candidates = new Map<string, number>();
    for (const record of records)
      if (timestampOf(record) === undefined)
        for (const name of TIME_FIELDS)
          if (record[name] !== undefined) candidates.set(name, (candidates.get(name) ?? 0) + 1);
    const best = [...candidates.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    fixes.push(
      best === undefined
        ? `${untimed} line(s) have no valid @timestamp: log "@timestamp" as ISO-8601 with a zone (2026-12-01T09:00:00.014Z)`
        : `${untimed} line(s) have no valid @timestamp but carry "${best}": add to the mapping file   fields: { "@timestamp": ${best} }`,
    );
  }
  const unknown = new Map<string, number>();
  for (const s of services)
    for (const [value, n] of Object.entries(s.unknownEvents)) unknown.set(value, (unknown.get(value) ?? 0) + n);
  const known = services.reduce((n, s) => n + Object.values(s.events).reduce((a, b) => a + b, 0), 0);
  if (known === 0 && records.length > 0) {
    const withMessage = records.filter((r) => typeof r[F.MESSAGE] === 'string').length;
    const messages = new Map<string, number>();
    for (const record of records) {
      const text = record[F.MESSAGE];
      if (typeof text === 'string' && text.length <= 40) messages.set(text, (messages.get(text) ?? 0) + 1);
    }
    const common = [...messages.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
    fixes.push(
      withMessage > 0
        ? `no line names a contract event: log "event.action" (docs/log-contract.md), or, if your messages name events, add   fields: { event.action: message }   and map each one under   events:${common.length > 0 ? ` (most frequent messages: ${common.map(([m, n]) => `"${printable(m)}" ×${n}`).join(', ')})` : ''}`
        : 'no line names a contract event: log "event.action" with the events of docs/log-contract.md',
    );
  }
  if (services.some((s) => s.service === '(no service.name)')) {
    const unnamed = records.filter((r) => str(r, F.SERVICE_NAME) === undefined);
    const field = SERVICE_FIELDS.find((name) => unnamed.some((r) => typeof r[name] === 'string'));
    const values =
      field === undefined ? [] : [...new Set(unnamed.map((r) => r[field]).filter((v) => typeof v === 'string'))];
    fixes.push(
      field === undefined
        ? 'lines without service.name: log it as the role (api, worker, nginx) and service.instance as the process'
        : `lines without service.name carry "${field}": add   fields: { service.name: ${field} }   and   services: { ${values
            .slice(0, 6)
            .map((v) => `${printable(String(v))}: <nginx|api|worker|other>`)
            .join(', ')} }`,
    );
  }
  const top = [...unknown.entries()]
    .filter(([value]) => !value.startsWith('('))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8);
  if (top.length > 0 && known < records.length)
    fixes.push(
      `events the contract does not know (map those that are one, under events:): ${top.map(([v, n]) => `"${printable(v)}" ×${n}`).join(', ')}`,
    );

  for (const s of services) {
    const http = HTTP_EVENTS.reduce((n, e) => n + (s.events[e] ?? 0), 0);
    if (http > 0 && s.service !== 'api' && s.service !== 'nginx')
      fixes.push(
        `service ${printable(s.service)} writes HTTP request events but is not read as the API: add   services: { ${printable(s.service)}: api }`,
      );
  }

  const httpLines = carried(
    HTTP_EVENTS,
    F.CORRELATION_ID,
    records.filter((r) => str(r, F.SERVICE_NAME) === 'api'),
  );
  part(
    'request',
    httpLines.lines === 0
      ? 'no http.request.received / http.request.completed lines from the api role'
      : httpLines.with < httpLines.lines
        ? `${httpLines.lines - httpLines.with} of ${httpLines.lines} HTTP lines carry no correlation_id`
        : undefined,
  );
  part(
    'nginx hop',
    count(EVENTS.NGINX_ACCESS) === 0 ? 'no nginx.access lines (optional: the client status is the API’s)' : undefined,
  );
  const enqueue = carried([EVENTS.TASK_ENQUEUED], F.TASK_ID, records);
  part(
    'enqueue',
    enqueue.lines === 0
      ? 'no task.enqueued lines'
      : enqueue.with < enqueue.lines
        ? 'task.enqueued lines without task_id'
        : undefined,
  );
  const attempts = carried(WORKER_EVENTS, F.TASK_ID, records);
  const workerReason =
    attempts.lines === 0
      ? 'no task.started / task.completed / task.failed lines'
      : attempts.with < attempts.lines
        ? `no worker lines carry task_id (${attempts.lines - attempts.with} of ${attempts.lines} lack it)`
        : undefined;
  part(
    'queue wait',
    enqueue.lines === 0 || attempts.lines === 0 ? 'needs task.enqueued and task.started lines' : undefined,
  );
  part('attempts', workerReason);
  part('result', workerReason);
  if (attempts.lines > attempts.with) fixes.push('log task_id (the queue’s job id) on every worker line');
  const workerCid = carried(WORKER_EVENTS, F.CORRELATION_ID, records);
  if (workerCid.lines > 0 && workerCid.with < workerCid.lines)
    fixes.push(
      `${workerCid.lines - workerCid.with} worker line(s) carry no correlation_id: put the request's id in the job data and log it (--task still finds the job by task_id)`,
    );
  part(
    'retries',
    count(EVENTS.TASK_RETRY_SCHEDULED) === 0
      ? 'no task.retry_scheduled lines (a failure before a retry reads "failed for good")'
      : undefined,
  );
  part(
    'stalls',
    count(EVENTS.TASK_STALLED) === 0 ? 'no task.stalled lines (an abandoned attempt still shows as lost)' : undefined,
  );
  part('dead letters', count(EVENTS.TASK_DEAD_LETTERED) === 0 ? 'no task.dead_lettered lines' : undefined);
  part(
    'duplicates blocked',
    Object.keys(DUPLICATE_EVENTS).every((e) => count(e) === 0) ? 'none of the duplicate events' : undefined,
  );
  const polls = services.reduce((n, s) => n + (s.fields['status poll'] ?? 0), 0);
  part(
    'status polls',
    polls === 0
      ? 'no task.status_read line and no GET on the status route with a task id (statusRoute: in the mapping)'
      : undefined,
  );
  const noInstance = services.filter(
    (s) => (s.fields[F.SERVICE_INSTANCE] ?? 0) === 0 && s.service !== 'nginx' && !s.service.startsWith('('),
  );
  if (noInstance.length > 0)
    fixes.push(
      `log service.instance (the process: api-1, worker-2) on ${noInstance.map((s) => printable(s.service)).join(', ')}: without it the processes of a role share one lane`,
    );
  return { lines: records.length, services, parts, fixes };
}
