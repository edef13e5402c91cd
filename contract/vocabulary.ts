/**
 * The log-event vocabulary: every event name and every field name that dtq writes or reads.
 *
 * This is the one place where these strings are spelled. The workload emits them, the
 * Elasticsearch mapping is generated from FIELD_SPECS, the explorer joins on them and the
 * dashboards aggregate on them. Field names are ECS-style dotted keys written flat at the top
 * level of each JSON line ("service.name": "api"), which Elasticsearch maps as object paths.
 *
 * Units: every duration field is in nanoseconds (ECS `event.duration`), except the raw nginx
 * timings, which nginx writes in seconds and `normalizeNginxLine` converts.
 */

/** Elasticsearch field types used by the mapping generated from this vocabulary. */
export type FieldType = 'date' | 'keyword' | 'long' | 'double' | 'text' | 'boolean';

/** One field of the vocabulary: its name on the wire and in Elasticsearch, type and meaning. */
export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly doc: string;
}

function field(name: string, type: FieldType, doc: string): FieldSpec {
  return { name, type, doc };
}

/** Every field dtq writes, keyed by a constant-style identifier. */
export const FIELD_SPECS = {
  TIMESTAMP: field('@timestamp', 'date', 'When the line was written (ISO-8601, millisecond precision).'),
  MESSAGE: field('message', 'text', 'Human-readable summary of the line.'),
  LOG_LEVEL: field('log.level', 'keyword', 'pino level label: trace, debug, info, warn, error, fatal.'),
  SERVICE_NAME: field(
    'service.name',
    'keyword',
    'Which kind of process wrote the line: nginx, api, worker, shipper, load.',
  ),
  SERVICE_INSTANCE: field('service.instance', 'keyword', 'Which process of that kind: api-1, worker-2, nginx.'),
  EVENT_ACTION: field('event.action', 'keyword', 'The event name, one of EVENTS.'),
  EVENT_OUTCOME: field('event.outcome', 'keyword', 'success, failure or unknown, on events that end something.'),
  EVENT_DURATION: field('event.duration', 'long', 'Nanoseconds spent in the span of work this event closes.'),
  EVENT_SEQUENCE: field(
    'event.sequence',
    'long',
    'Per-process line counter; orders lines written within one millisecond.',
  ),
  PROCESS_PID: field('process.pid', 'long', 'Operating-system process id of the writer.'),
  HOST_NAME: field(
    'host.name',
    'keyword',
    'Host the writer runs on (DTQ_HOST_NAME, else the operating system host name): tells hosts apart.',
  ),

  // The three ids. Never confuse them.
  CORRELATION_ID: field(
    'correlation_id',
    'keyword',
    'X-Request-ID: one per HTTP request, carried into every job and line.',
  ),
  TASK_ID: field('task_id', 'keyword', 'One per queued job (the BullMQ job id).'),
  IDEMPOTENCY_KEY: field('idempotency.key', 'keyword', 'Idempotency-Key header: one per client intent.'),

  // W3C Trace Context (contract/trace-context.ts), named as ECS and Elastic APM name them.
  TRACE_ID: field(
    'trace.id',
    'keyword',
    'W3C trace id (32 hex): the caller’s traceparent, else started by nginx (or the API); on every line of the request and its jobs.',
  ),
  SPAN_ID: field(
    'span.id',
    'keyword',
    'W3C span id (16 hex) of the writer’s own span: one per request in nginx and in the API, never shared.',
  ),
  PARENT_ID: field(
    'parent.id',
    'keyword',
    'Span id of the caller: nginx’s span on API lines, the enqueuing API span on a job’s worker lines.',
  ),
  HTTP_REQUEST_ID: field('http.request.id', 'keyword', 'nginx $request_id: unique per request (32 hex).'),

  // HTTP (api and nginx).
  HTTP_METHOD: field('http.request.method', 'keyword', 'HTTP method.'),
  URL_PATH: field('url.path', 'keyword', 'Request path without the query string.'),
  HTTP_ROUTE: field('http.route', 'keyword', 'Matched route pattern, e.g. /api/v1/tasks/:task_id.'),
  HTTP_STATUS: field('http.response.status_code', 'long', 'Response status code.'),
  HTTP_REQUEST_BYTES: field('http.request.body.bytes', 'long', 'Request body size in bytes.'),
  HTTP_RESPONSE_BYTES: field('http.response.body.bytes', 'long', 'Response body size in bytes.'),
  CLIENT_ADDRESS: field('client.address', 'keyword', 'Address of the client as seen by the writer.'),
  USER_AGENT: field('user_agent.original', 'keyword', 'User-Agent header.'),
  SERVER_ADDRESS: field('server.address', 'keyword', 'Address a server listens on, on service.started.'),
  SERVER_PORT: field('server.port', 'long', 'TCP port a server listens on, on service.started.'),
  NGINX_UPSTREAM_ADDRESS: field('nginx.upstream.address', 'keyword', 'Upstream(s) nginx tried, as nginx wrote them.'),
  NGINX_UPSTREAM_STATUS: field('nginx.upstream.status', 'keyword', 'Upstream status(es), as nginx wrote them.'),
  NGINX_REQUEST_TIME: field('nginx.request_time', 'double', 'nginx $request_time in seconds.'),
  NGINX_UPSTREAM_RESPONSE_TIME: field('nginx.upstream_response_time', 'keyword', 'nginx $upstream_response_time, raw.'),
  NGINX_MSEC: field('nginx.msec', 'double', 'nginx $msec: epoch seconds with milliseconds at log write.'),

  // Tasks and queues.
  TASK_TYPE: field('task.type', 'keyword', 'calculate_var, monte_carlo_pricing, stress_test, portfolio_optimization.'),
  TASK_QUEUE: field(
    'task.queue',
    'keyword',
    'Queue the task was enqueued on: high, medium, low (also on its dead-letter line).',
  ),
  TASK_PRIORITY: field('task.priority', 'keyword', 'Requested priority: high, medium, low.'),
  TASK_STATUS: field('task.status', 'keyword', 'queued, running, succeeded, failed.'),
  TASK_ATTEMPT: field('task.attempt', 'long', '1-based attempt number of this execution.'),
  TASK_MAX_ATTEMPTS: field('task.max_attempts', 'long', 'Attempts allowed before dead-lettering.'),
  TASK_QUEUE_WAIT: field('task.queue_wait', 'long', 'Nanoseconds between enqueue (or retry due time) and start.'),
  TASK_RETRY_DELAY: field('task.retry_delay', 'long', 'Nanoseconds of backoff before the next attempt.'),
  TASK_REDELIVERED: field('task.redelivered', 'boolean', 'True when this attempt follows a stalled (lost) one.'),
  QUEUE_DEPTH: field('queue.depth', 'long', 'Jobs waiting in the queue(s) at the time of the line.'),
  PORTFOLIO_ID: field('portfolio.id', 'keyword', 'Portfolio the task works on (the lock resource for calculate_var).'),

  // Errors.
  ERROR_CODE: field('error.code', 'keyword', 'Stable dtq error code, DTQ_ERR_<AREA>_<PROBLEM>.'),
  ERROR_TYPE: field('error.type', 'keyword', 'Error class name.'),
  ERROR_MESSAGE: field('error.message', 'text', 'Error message.'),
  ERROR_STACK: field('error.stack_trace', 'text', 'Stack trace, when useful.'),

  // Duplicates blocked: every such event points at the original.
  ORIGINAL_TASK_ID: field('original.task_id', 'keyword', 'Task id of the original that a blocked duplicate points at.'),
  ORIGINAL_CORRELATION_ID: field('original.correlation_id', 'keyword', 'Correlation id of that original.'),

  // Locks and results.
  LOCK_RESOURCE: field('lock.resource', 'keyword', 'Name of the locked resource.'),
  LOCK_FENCING_TOKEN: field('lock.fencing_token', 'long', 'Monotonic token of this lock acquisition.'),
  RESULT_KEY: field('result.key', 'keyword', 'Single-flight cache key of a result (hash of the inputs).'),

  // Circuit breaker and dependencies.
  CIRCUIT_STATE: field('circuit.state', 'keyword', 'open or closed.'),
  CIRCUIT_THRESHOLD: field('circuit.threshold', 'long', 'Queue depth above which the circuit opens.'),
  DEPENDENCY_NAME: field('dependency.name', 'keyword', 'redis or elasticsearch, on outage and recovery events.'),

  // Queue depth per queue, on `queue.depth` (`queue.depth` itself is their sum).
  QUEUE_WAITING_HIGH: field(
    'queue.waiting.high',
    'long',
    'Jobs not yet started (waiting or delayed) in the high queue.',
  ),
  QUEUE_WAITING_MEDIUM: field(
    'queue.waiting.medium',
    'long',
    'Jobs not yet started (waiting or delayed) in the medium queue.',
  ),
  QUEUE_WAITING_LOW: field('queue.waiting.low', 'long', 'Jobs not yet started (waiting or delayed) in the low queue.'),

  // Shipper self-metrics.
  SHIPPER_SOURCE: field('shipper.source', 'keyword', 'File the shipper read the line from.'),
  SHIPPER_LINES_READ: field('shipper.lines_read', 'long', 'Lines read since start.'),
  SHIPPER_LINES_SHIPPED: field('shipper.lines_shipped', 'long', 'Lines acknowledged by Elasticsearch since start.'),
  SHIPPER_DUPLICATES: field('shipper.duplicates', 'long', 'Lines Elasticsearch already had (409 on create).'),
  SHIPPER_RETRIES: field('shipper.retries', 'long', 'Bulk requests retried since start.'),
  SHIPPER_DEAD_LETTERED: field('shipper.dead_lettered', 'long', 'Lines written to the dead-letter file since start.'),
  SHIPPER_LAG_BYTES: field('shipper.lag_bytes', 'long', 'Bytes written to the sources but not yet acknowledged.'),
  SHIPPER_LAG_SECONDS: field('shipper.lag_seconds', 'double', 'Age of the oldest line not yet acknowledged.'),
  SHIPPER_OFFSET: field('shipper.offset', 'long', 'Byte offset in shipper.source of the line an event is about.'),
  SHIPPER_INVALID_UTF8: field(
    'shipper.invalid_utf8',
    'boolean',
    'Set on a shipped line whose bytes were not valid UTF-8: each bad sequence became U+FFFD.',
  ),
  SHIPPER_INVALID_UTF8_LINES: field(
    'shipper.invalid_utf8_lines',
    'long',
    'Lines with invalid UTF-8 since start (on shipper.metrics), or in one file (on shipper.invalid_utf8_read).',
  ),
} as const satisfies Record<string, FieldSpec>;

/** Identifier of a vocabulary field, e.g. 'CORRELATION_ID'. */
export type FieldId = keyof typeof FIELD_SPECS;

type FieldNames = { readonly [K in FieldId]: (typeof FIELD_SPECS)[K]['name'] };

/** Field names on the wire, by identifier: F.CORRELATION_ID === 'correlation_id'. */
export const F: FieldNames = Object.fromEntries(
  Object.entries(FIELD_SPECS).map(([id, spec]) => [id, spec.name]),
) as FieldNames;

/** Any field name of the vocabulary. */
export type FieldName = FieldNames[FieldId];

/** Event names (`event.action`). */
export const EVENTS = {
  // Processes.
  SERVICE_STARTED: 'service.started',
  SERVICE_STOPPING: 'service.stopping',
  SERVICE_STOPPED: 'service.stopped',
  /** An error a worker process reports outside any job's outcome (e.g. BullMQ lost a job lock). */
  WORKER_ERROR: 'worker.error',
  /** A process serves Prometheus metrics (`server.address`, `server.port`). */
  METRICS_LISTENING: 'metrics.listening',

  // HTTP.
  NGINX_ACCESS: 'nginx.access',
  HTTP_REQUEST_RECEIVED: 'http.request.received',
  HTTP_REQUEST_COMPLETED: 'http.request.completed',

  // Task lifecycle.
  TASK_ENQUEUED: 'task.enqueued',
  TASK_STARTED: 'task.started',
  TASK_COMPLETED: 'task.completed',
  TASK_FAILED: 'task.failed',
  TASK_RETRY_SCHEDULED: 'task.retry_scheduled',
  TASK_STALLED: 'task.stalled',
  TASK_DEAD_LETTERED: 'task.dead_lettered',
  TASK_STATUS_READ: 'task.status_read',

  // Back-pressure and dependencies.
  CIRCUIT_OPENED: 'circuit.opened',
  CIRCUIT_CLOSED: 'circuit.closed',
  /** The API's latest reading of every queue's depth, at most once per DTQ_QUEUE_DEPTH_LOG_MS. */
  QUEUE_DEPTH: 'queue.depth',
  DEPENDENCY_UNAVAILABLE: 'dependency.unavailable',
  DEPENDENCY_RECOVERED: 'dependency.recovered',

  // Duplicates blocked (each carries original.task_id and original.correlation_id).
  IDEMPOTENCY_CLAIMED: 'idempotency.claimed',
  IDEMPOTENCY_REPLAYED: 'idempotency.replayed',
  IDEMPOTENCY_IN_FLIGHT_CONFLICT: 'idempotency.in_flight_conflict',
  IDEMPOTENCY_PAYLOAD_MISMATCH: 'idempotency.payload_mismatch',
  /** The idempotency store (Redis) failed a claim, so the keyed request was refused (503). */
  IDEMPOTENCY_STORE_FAILED: 'idempotency.store_failed',
  /** A claim's lease ran out and another request took it over before this one stored or released it. */
  IDEMPOTENCY_CLAIM_LOST: 'idempotency.claim_lost',
  LOCK_ACQUIRED: 'lock.acquired',
  LOCK_CONTENDED: 'lock.contended',
  LOCK_RELEASED: 'lock.released',
  LOCK_LOST: 'lock.lost',
  RESULT_CACHE_HIT: 'result.cache_hit',
  RESULT_WRITE_REJECTED: 'result.write_rejected',
  /** A result was stored under its fencing token (lock.fencing_token): the one write that counts. */
  RESULT_WRITTEN: 'result.written',

  // Attempts that outlive their lease, and idempotency takeovers (what really happened when
  // a worker or a request is overtaken; each line names both sides by their ids).
  /** A worker could not renew its job lock (BullMQ's lease on the job): the job may be redelivered to another worker. */
  TASK_LEASE_LOST: 'task.lease_lost',
  /** A worker's event loop stood still for `event.duration` ns (frozen, SIGSTOP, GC) while it ran this attempt; written once it runs again. */
  TASK_RESUMED: 'task.resumed',
  /** An attempt ended (`event.outcome`) but the queue refused to record it: the job lock was gone, so the job is another attempt's now. */
  TASK_FINISH_REFUSED: 'task.finish_refused',
  /** An enqueue was a no-op: a job with this task id already existed (`original.correlation_id` created it). */
  TASK_ALREADY_ENQUEUED: 'task.already_enqueued',
  /** A request took over an idempotency claim whose lease ran out; `original.*` name the request it took over from, whose work may still be running. */
  IDEMPOTENCY_TAKEN_OVER: 'idempotency.taken_over',

  // Shipper.
  SHIPPER_METRICS: 'shipper.metrics',
  SHIPPER_DEAD_LETTERED: 'shipper.dead_lettered',
  /** A source file started over (truncated, or replaced at the same path): read again from its start. */
  SHIPPER_SOURCE_TRUNCATED: 'shipper.source_truncated',
  /** Lines of a file were not valid UTF-8 (`shipper.source`, first `shipper.offset`, `shipper.invalid_utf8_lines`). */
  SHIPPER_INVALID_UTF8_READ: 'shipper.invalid_utf8_read',
  /** `--once` exits with a file's last line unshipped because it has no newline yet (`shipper.source`, `shipper.offset`). */
  SHIPPER_UNTERMINATED_LINE: 'shipper.unterminated_line',
} as const;

/** Any event name. */
export type EventName = (typeof EVENTS)[keyof typeof EVENTS];

/** Events that record a duplicate that was blocked, with the kind the explorer and dashboards show. */
export const DUPLICATE_EVENTS = {
  [EVENTS.IDEMPOTENCY_REPLAYED]: 'idempotency_replay',
  [EVENTS.IDEMPOTENCY_IN_FLIGHT_CONFLICT]: 'in_flight_conflict',
  [EVENTS.IDEMPOTENCY_PAYLOAD_MISMATCH]: 'payload_mismatch',
  [EVENTS.LOCK_CONTENDED]: 'lock_contended',
  [EVENTS.RESULT_CACHE_HIT]: 'result_cache_hit',
} as const satisfies Partial<Record<EventName, string>>;

/** Kind of a blocked duplicate. */
export type DuplicateKind = (typeof DUPLICATE_EVENTS)[keyof typeof DUPLICATE_EVENTS];

/** Values of `service.name`. */
export const SERVICES = ['nginx', 'api', 'worker', 'shipper', 'load'] as const;
/** A value of `service.name`. */
export type ServiceName = (typeof SERVICES)[number];

/** Queue names, highest priority first. */
export const PRIORITIES = ['high', 'medium', 'low'] as const;
/** A queue priority. */
export type Priority = (typeof PRIORITIES)[number];
/** The field of each queue's depth on a `queue.depth` line. */
export const QUEUE_WAITING_FIELDS: Readonly<Record<Priority, FieldName>> = {
  high: F.QUEUE_WAITING_HIGH,
  medium: F.QUEUE_WAITING_MEDIUM,
  low: F.QUEUE_WAITING_LOW,
};

/** Task types the workload knows. */
export const TASK_TYPES = ['calculate_var', 'monte_carlo_pricing', 'stress_test', 'portfolio_optimization'] as const;
/** A task type. */
export type TaskType = (typeof TASK_TYPES)[number];

/** Task status values reported by the API. */
export const TASK_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
/** A task status. */
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** A parsed log line: flat dotted keys as written. */
export type LogRecord = Record<string, unknown>;

/** Nanoseconds in one millisecond; durations are written in ns. */
export const NS_PER_MS = 1_000_000;

/**
 * Bring an nginx access-log line to the common shape: numeric timings, `@timestamp` with
 * milliseconds (nginx's $time_iso8601 has whole seconds only, so `nginx.msec` wins) and
 * `event.duration` in ns from `$request_time`. Lines of other services come back unchanged.
 * Used by the shipper before indexing and by the explorer's file source, so both see the same.
 * Never throws: a timing that is no number or no date is left out, not converted.
 */
export function normalizeNginxLine(record: LogRecord): LogRecord {
  if (record[F.SERVICE_NAME] !== 'nginx') return record;
  const requestTime = toNumber(record[F.NGINX_REQUEST_TIME]);
  const msec = toNumber(record[F.NGINX_MSEC]);
  // A number is not always a date: past ±8.64e12 s there is none, and toISOString() would throw.
  const msecDate = msec === undefined ? undefined : new Date(Math.round(msec * 1000));
  const msecTimestamp = msecDate && !Number.isNaN(msecDate.getTime()) ? msecDate.toISOString() : undefined;
  const duration = requestTime === undefined ? undefined : Math.round(requestTime * 1e9);
  // Built in one pass rather than copied and patched with `delete`: a deleted key turns the
  // object into a slow dictionary, and the shipper serialises one of these per nginx line.
  const out: LogRecord = {};
  for (const key in record) {
    const value = record[key];
    if (NGINX_NUMERIC_FIELDS.has(key)) {
      const number = toNumber(value);
      if (number !== undefined) out[key] = number;
    } else if (key === F.NGINX_REQUEST_TIME && requestTime !== undefined) out[key] = requestTime;
    else if (key === F.NGINX_MSEC && msec !== undefined) out[key] = msec;
    // An own "__proto__" key (JSON.parse makes one) must stay a field, not become a prototype.
    else if (key === '__proto__')
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  if (duration !== undefined && Number.isFinite(duration)) out[F.EVENT_DURATION] = duration;
  if (msecTimestamp !== undefined) out[F.TIMESTAMP] = msecTimestamp;
  return out;
}

/** nginx fields kept only when they hold a number ('-' means none): the mapping says long. */
const NGINX_NUMERIC_FIELDS: ReadonlySet<string> = new Set([F.HTTP_STATUS, F.HTTP_RESPONSE_BYTES, F.HTTP_REQUEST_BYTES]);

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value === '' || value === '-') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** Fields every contract line carries: without a valid @timestamp the explorer drops the line. */
export const LINE_REQUIRED_FIELDS: readonly FieldName[] = [F.TIMESTAMP, F.SERVICE_NAME, F.EVENT_ACTION];

/**
 * Per event, the fields without which the explorer cannot place the line at all or would
 * draw it wrongly (a retry without its delay reads as a final failure). Everything else a
 * line may carry is optional: it adds detail, never structure. docs/log-contract.md says
 * what each field enables; the schema (contract/schema.ts) enforces this table.
 */
export const EVENT_REQUIRED_FIELDS: Readonly<Partial<Record<EventName, readonly FieldName[]>>> = {
  [EVENTS.NGINX_ACCESS]: [F.CORRELATION_ID, F.HTTP_STATUS],
  [EVENTS.HTTP_REQUEST_RECEIVED]: [F.CORRELATION_ID],
  [EVENTS.HTTP_REQUEST_COMPLETED]: [F.CORRELATION_ID, F.HTTP_STATUS],
  [EVENTS.TASK_ENQUEUED]: [F.CORRELATION_ID, F.TASK_ID],
  [EVENTS.QUEUE_DEPTH]: [F.QUEUE_DEPTH, F.QUEUE_WAITING_HIGH, F.QUEUE_WAITING_MEDIUM, F.QUEUE_WAITING_LOW],
  [EVENTS.TASK_STARTED]: [F.TASK_ID],
  [EVENTS.TASK_COMPLETED]: [F.TASK_ID],
  [EVENTS.TASK_FAILED]: [F.TASK_ID],
  [EVENTS.TASK_RETRY_SCHEDULED]: [F.TASK_ID, F.TASK_RETRY_DELAY],
  [EVENTS.TASK_STALLED]: [F.TASK_ID],
  [EVENTS.TASK_DEAD_LETTERED]: [F.TASK_ID],
  [EVENTS.TASK_STATUS_READ]: [F.CORRELATION_ID, F.TASK_ID],
  [EVENTS.IDEMPOTENCY_CLAIMED]: [F.CORRELATION_ID],
  [EVENTS.IDEMPOTENCY_REPLAYED]: [F.CORRELATION_ID],
  [EVENTS.IDEMPOTENCY_IN_FLIGHT_CONFLICT]: [F.CORRELATION_ID],
  [EVENTS.IDEMPOTENCY_PAYLOAD_MISMATCH]: [F.CORRELATION_ID],
  [EVENTS.LOCK_ACQUIRED]: [F.TASK_ID],
  [EVENTS.LOCK_CONTENDED]: [F.TASK_ID],
  [EVENTS.LOCK_RELEASED]: [F.TASK_ID],
  [EVENTS.LOCK_LOST]: [F.TASK_ID],
  [EVENTS.RESULT_CACHE_HIT]: [F.TASK_ID],
  [EVENTS.RESULT_WRITE_REJECTED]: [F.TASK_ID],
  [EVENTS.RESULT_WRITTEN]: [F.TASK_ID, F.LOCK_FENCING_TOKEN],
  [EVENTS.TASK_LEASE_LOST]: [F.TASK_ID],
  [EVENTS.TASK_RESUMED]: [F.TASK_ID, F.EVENT_DURATION],
  [EVENTS.TASK_FINISH_REFUSED]: [F.TASK_ID],
  [EVENTS.TASK_ALREADY_ENQUEUED]: [F.CORRELATION_ID, F.TASK_ID],
  [EVENTS.IDEMPOTENCY_TAKEN_OVER]: [F.CORRELATION_ID, F.TASK_ID, F.ORIGINAL_CORRELATION_ID],
};

/**
 * Version of the log contract (semver): the events, fields, types and per-event requirements
 * above and in contract/schema.ts. A major bump means a conforming line may stop conforming.
 */
export const CONTRACT_VERSION = '1.1.0';
