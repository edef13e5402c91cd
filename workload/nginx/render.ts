/**
 * Render nginx.conf.template into a config for one nginx: the local stack, a test, or docker
 * compose (upstreams `api-1:3000`, …). The access-log format is generated here from the log
 * vocabulary, so nginx's lines carry exactly the field names every other process writes, and
 * the X-Request-ID and traceparent rules come from the same modules the API uses.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORRELATION_ID_PATTERN } from '../../contract/correlation-id.ts';
import { dtqError } from '../../contract/dtq-error.ts';
import { TRACEPARENT_PATTERN } from '../../contract/trace-context.ts';
import { EVENTS, F, type FieldName } from '../../contract/vocabulary.ts';
import { logFilePath } from '../../instrumentation/logger.ts';
import { BODY_LIMIT_BYTES } from '../api/config.ts';
import { API_ERRORS } from '../api/errors.ts';
import { TASK_ID_PATTERN, TASKS_PATH } from '../api/task-resource.ts';
import { NGINX_ERRORS } from './errors.ts';
import { DEFAULT_NGINX_LIMITS, type NginxLimits } from './limits.ts';

/** The template, a named file beside this module. */
export const NGINX_TEMPLATE_PATH = join(import.meta.dirname, 'nginx.conf.template');

/** Options of {@link renderNginxConfig}; limits left out take DEFAULT_NGINX_LIMITS. */
export interface NginxConfigOptions extends Partial<NginxLimits> {
  /** Where to accept clients: `host:port` or a port (all interfaces in a container, loopback locally). */
  listen: string | number;
  /** API instances as `host:port`, e.g. `127.0.0.1:3001` or `api-1:3000`. */
  upstreams: readonly string[];
  /** Directory of the NDJSON access log (`<logDir>/<instance>.ndjson`, like every process). */
  logDir: string;
  /** Directory for the pid file, temp dirs and nginx's own error log. */
  runDir: string;
  /** service.instance of the access-log lines (default `nginx`). */
  instance?: string;
  /** host.name of the access-log lines (default nginx's `$hostname`, the OS host name). */
  hostName?: string;
  /** `user` directive for the workers, when nginx starts as root and must not keep root. */
  user?: string;
  /** Worker processes (default 1: the stack runs on small machines; `auto` in compose). */
  workerProcesses?: number | 'auto';
  /** Failures before an upstream is skipped (default 2). */
  maxFails?: number;
  /** How long a failed upstream is skipped, in seconds (default 5). */
  failTimeoutS?: number;
  /** Upstream connect timeout in ms (default 1000: a dead instance is skipped quickly). */
  connectTimeoutMs?: number;
  /** Upstream read timeout in seconds (default 30). */
  readTimeoutS?: number;
  /** Retry-After in nginx's 502 and 504 answers, in seconds (default 2). */
  retryAfterS?: number;
}

/** Paths of the files a rendered nginx writes. */
export interface NginxPaths {
  accessLog: string;
  errorLog: string;
  pidFile: string;
  tempDir: string;
}

/**
 * The access-log fields: vocabulary name → nginx expression. Values are written as JSON strings
 * (escape=json); normalizeNginxLine turns the numeric ones into numbers.
 */
export function accessLogFields(
  instance: string,
  options: AccessLogOptions = {},
): ReadonlyArray<readonly [FieldName, string]> {
  const fields: Array<readonly [FieldName, string]> = [
    [F.TIMESTAMP, '$time_iso8601'],
    [F.SERVICE_NAME, 'nginx'],
    [F.SERVICE_INSTANCE, instance],
    [F.HOST_NAME, options.hostName ?? '$hostname'],
    [F.EVENT_ACTION, EVENTS.NGINX_ACCESS],
    [F.LOG_LEVEL, 'info'],
    [F.MESSAGE, '$request_method $dtq_path $status'],
    [F.CORRELATION_ID, '$correlation_id'],
    // nginx's span (nginx.conf.template): the API's lines name it as their parent.id.
    [F.TRACE_ID, '$dtq_trace_id'],
    [F.SPAN_ID, '$dtq_span_id'],
    [F.HTTP_REQUEST_ID, '$request_id'],
    [F.HTTP_METHOD, '$request_method'],
    // $uri (the normalised path without the query string, which may hold anything), except
    // that nginx's own error URIs are logged as "" (nginx.conf.template, $dtq_path).
    [F.URL_PATH, '$dtq_path'],
    [F.HTTP_STATUS, '$status'],
    [F.HTTP_RESPONSE_BYTES, '$body_bytes_sent'],
    [F.CLIENT_ADDRESS, '$remote_addr'],
    [F.USER_AGENT, '$http_user_agent'],
    [F.NGINX_UPSTREAM_ADDRESS, '$upstream_addr'],
    [F.NGINX_UPSTREAM_STATUS, '$upstream_status'],
    [F.NGINX_REQUEST_TIME, '$request_time'],
    [F.NGINX_UPSTREAM_RESPONSE_TIME, '$upstream_response_time'],
    [F.NGINX_MSEC, '$msec'],
  ];
  if (options.withTaskId) fields.push([F.TASK_ID, '$dtq_task_id']);
  return fields;
}

/** Options of the access-log format. */
export interface AccessLogOptions {
  withTaskId?: boolean;
  /** A literal host.name (validated by contract/host.ts); default nginx's `$hostname`. */
  hostName?: string;
}

/** The body of the `log_format … escape=json` directive: one JSON object per line. */
export function accessLogFormat(instance: string, options: AccessLogOptions = {}): string {
  return `{${accessLogFields(instance, options)
    .map(([name, value]) => `"${name}":"${value}"`)
    .join(',')}}`;
}

// The API's task-id rule without its anchors, to embed in the path and Location patterns.
const TASK_ID_REGEX = TASK_ID_PATTERN.source.replace(/^\^|\$$/g, '');

/** Where the rendered nginx writes its files. */
export function nginxPaths(options: Pick<NginxConfigOptions, 'logDir' | 'runDir' | 'instance'>): NginxPaths {
  return {
    accessLog: logFilePath(options.logDir, options.instance ?? 'nginx'),
    errorLog: join(options.runDir, 'error.log'),
    pidFile: join(options.runDir, 'nginx.pid'),
    tempDir: join(options.runDir, 'temp'),
  };
}

const UPSTREAM = /^[A-Za-z0-9.-]+:\d{1,5}$/;
const INSTANCE = /^[A-Za-z0-9._-]{1,64}$/;
const LISTEN = /^(?:[A-Za-z0-9.-]+:|\[[0-9a-fA-F:]+\]:)?\d{1,5}$/;
// Paths end up unquoted in directives: refuse what would end or split one.
const PATH = /^[^\s;{}'"$#]+$/;
const ADDRESS = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)(?:\/\d{1,3})?$/;
// The request line nginx accepts: one large_client_header_buffers buffer (8k).
const REQUEST_LINE_LIMIT_BYTES = 8192;

function check(ok: boolean, option: string, value: unknown, expected: string): void {
  if (!ok) throw dtqError(NGINX_ERRORS.CONFIG_INVALID, { option, value: JSON.stringify(value), expected });
}

/** An error answer of nginx itself in the API's format, for a single-quoted nginx string. */
function errorJson(code: string, message: string): string {
  const body = JSON.stringify({ error: { code, message, correlation_id: '__ID__' } });
  return body.replace('__ID__', '$correlation_id');
}

function fill(definition: { message: string }, values: Record<string, unknown>): string {
  return definition.message.replace(/\{(\w+)\}/g, (whole, key: string) =>
    key in values ? String(values[key]) : whole,
  );
}

/** The limit_conn/limit_req zones (http level), keyed by client address; empty when both are off. */
function limitZones(limits: NginxLimits): string {
  const lines: string[] = [];
  if (limits.limitConn > 0) {
    lines.push('    limit_conn_zone $dtq_limit_key zone=dtq_conn:10m;');
  }
  if (limits.rate > 0) {
    lines.push(`    limit_req_zone $dtq_limit_key zone=dtq_req:10m rate=${limits.rate}r/s;`);
  }
  return lines.join('\n');
}

/**
 * The limit directives of the proxied location. Over the connection limit: 503 (the client
 * holds enough already); over the rate and its burst: 429. Both are logged at warn.
 */
function limitDirectives(limits: NginxLimits): string {
  const lines: string[] = [];
  if (limits.limitConn > 0) {
    lines.push(`            limit_conn dtq_conn ${limits.limitConn};`, '            limit_conn_status 503;');
    lines.push('            limit_conn_log_level warn;');
  }
  if (limits.rate > 0) {
    lines.push(
      `            limit_req zone=dtq_req burst=${limits.burst} nodelay;`,
      '            limit_req_status 429;',
    );
    lines.push('            limit_req_log_level warn;');
  }
  return lines.join('\n');
}

/** Render the nginx configuration for `options` (throws DTQ_ERR_NGINX_CONFIG_INVALID on bad options). */
export function renderNginxConfig(options: NginxConfigOptions): string {
  const instance = options.instance ?? 'nginx';
  const listen = String(options.listen);
  const maxFails = options.maxFails ?? 2;
  const failTimeoutS = options.failTimeoutS ?? 5;
  const retryAfterS = options.retryAfterS ?? 2;
  check(LISTEN.test(listen), 'listen', options.listen, 'a port or host:port');
  check(options.upstreams.length > 0, 'upstreams', options.upstreams, 'at least one host:port');
  for (const upstream of options.upstreams) check(UPSTREAM.test(upstream), 'upstreams', upstream, 'host:port');
  check(INSTANCE.test(instance), 'instance', instance, 'letters, digits, ".", "_" or "-"');
  check(
    PATH.test(options.logDir),
    'logDir',
    options.logDir,
    'a path without spaces, quotes, ";", "{", "}", "$" or "#"',
  );
  check(
    PATH.test(options.runDir),
    'runDir',
    options.runDir,
    'a path without spaces, quotes, ";", "{", "}", "$" or "#"',
  );
  if (options.user !== undefined) check(INSTANCE.test(options.user), 'user', options.user, 'a user name');
  const workers = options.workerProcesses ?? 1;
  check(
    workers === 'auto' || (Number.isInteger(workers) && workers > 0),
    'workerProcesses',
    workers,
    "a positive integer or 'auto'",
  );

  const limits: NginxLimits = { ...DEFAULT_NGINX_LIMITS };
  for (const [key, value] of Object.entries(options) as Array<[keyof NginxLimits, unknown]>) {
    if (key in DEFAULT_NGINX_LIMITS && value !== undefined) Object.assign(limits, { [key]: value });
  }
  for (const key of ['clientHeaderTimeoutS', 'clientBodyTimeoutS', 'sendTimeoutS'] as const) {
    check(Number.isInteger(limits[key]) && limits[key] > 0, key, limits[key], 'a positive whole number of seconds');
  }
  for (const key of ['keepaliveTimeoutS', 'limitConn', 'rate', 'burst'] as const) {
    check(Number.isInteger(limits[key]) && limits[key] >= 0, key, limits[key], 'a whole number, 0 or more');
  }
  check(
    Number.isInteger(limits.workerConnections) && limits.workerConnections >= 64,
    'workerConnections',
    limits.workerConnections,
    'a whole number, 64 or more',
  );
  for (const address of limits.limitExempt) {
    check(ADDRESS.test(address), 'limitExempt', address, 'IPv4 or IPv6 addresses or CIDRs');
  }

  const paths = nginxPaths(options);
  const values: Record<string, string> = {
    USER_DIRECTIVE: options.user === undefined ? '' : `user ${options.user};`,
    WORKER_PROCESSES: String(workers),
    PID_PATH: paths.pidFile,
    ERROR_LOG_PATH: paths.errorLog,
    TEMP_DIR: paths.tempDir,
    ACCESS_LOG_PATH: paths.accessLog,
    LOG_FORMAT: accessLogFormat(instance, { hostName: options.hostName }),
    LOG_FORMAT_WITH_TASK: accessLogFormat(instance, { withTaskId: true, hostName: options.hostName }),
    TASK_PATH_REGEX: `^GET:${TASKS_PATH}/(?<read_task_id>${TASK_ID_REGEX})$`,
    // Matched against "<Idempotent-Replayed>:<Location>": only a first answer names its task.
    TASK_LOCATION_REGEX: `^:${TASKS_PATH}/(?<created_task_id>${TASK_ID_REGEX})$`,
    CORRELATION_ID_REGEX: CORRELATION_ID_PATTERN.source,
    TRACEPARENT_REGEX: TRACEPARENT_PATTERN.source,
    UPSTREAM_SERVERS: options.upstreams
      .map((upstream) => `        server ${upstream} max_fails=${maxFails} fail_timeout=${failTimeoutS}s;`)
      .join('\n'),
    LISTEN: listen,
    WORKER_CONNECTIONS: String(limits.workerConnections),
    CLIENT_HEADER_TIMEOUT: `${limits.clientHeaderTimeoutS}s`,
    CLIENT_BODY_TIMEOUT: `${limits.clientBodyTimeoutS}s`,
    SEND_TIMEOUT: `${limits.sendTimeoutS}s`,
    KEEPALIVE_TIMEOUT: `${limits.keepaliveTimeoutS}s`,
    LIMIT_EXEMPT: limits.limitExempt.map((address) => `        ${address} 1;`).join('\n'),
    LIMIT_ZONES: limitZones(limits),
    LIMITS: limitDirectives(limits),
    CLIENT_MAX_BODY_SIZE: String(BODY_LIMIT_BYTES),
    CONNECT_TIMEOUT: `${options.connectTimeoutMs ?? 1000}ms`,
    READ_TIMEOUT: `${options.readTimeoutS ?? 30}s`,
    RETRY_AFTER_S: String(retryAfterS),
    BODY_TOO_LARGE_JSON: errorJson(
      API_ERRORS.BODY_TOO_LARGE.code,
      fill(API_ERRORS.BODY_TOO_LARGE, { limit_bytes: BODY_LIMIT_BYTES }),
    ),
    BAD_REQUEST_JSON: errorJson(
      API_ERRORS.BAD_REQUEST.code,
      fill(API_ERRORS.BAD_REQUEST, { reason: 'it is not valid HTTP (nginx refused it)' }),
    ),
    HEADER_TOO_LARGE_JSON: errorJson(API_ERRORS.HEADER_TOO_LARGE.code, API_ERRORS.HEADER_TOO_LARGE.message),
    NO_UPSTREAM_JSON: errorJson(
      API_ERRORS.NO_UPSTREAM.code,
      fill(API_ERRORS.NO_UPSTREAM, { retry_after_s: retryAfterS }),
    ),
    UPSTREAM_TIMEOUT_JSON: errorJson(
      API_ERRORS.UPSTREAM_TIMEOUT.code,
      fill(API_ERRORS.UPSTREAM_TIMEOUT, { retry_after_s: retryAfterS }),
    ),
    METHOD_NOT_ALLOWED_JSON: errorJson(NGINX_ERRORS.METHOD_NOT_ALLOWED.code, NGINX_ERRORS.METHOD_NOT_ALLOWED.message),
    URI_TOO_LONG_JSON: errorJson(
      NGINX_ERRORS.URI_TOO_LONG.code,
      fill(NGINX_ERRORS.URI_TOO_LONG, { limit_bytes: REQUEST_LINE_LIMIT_BYTES }),
    ),
    RATE_LIMITED_JSON: errorJson(
      NGINX_ERRORS.RATE_LIMITED.code,
      fill(NGINX_ERRORS.RATE_LIMITED, { rate: limits.rate, burst: limits.burst, retry_after_s: retryAfterS }),
    ),
    TOO_MANY_CONNECTIONS_JSON: errorJson(
      NGINX_ERRORS.TOO_MANY_CONNECTIONS.code,
      fill(NGINX_ERRORS.TOO_MANY_CONNECTIONS, { limit: limits.limitConn, retry_after_s: retryAfterS }),
    ),
    NOT_FOUND_JSON: errorJson(
      API_ERRORS.ROUTE_NOT_FOUND.code,
      fill(API_ERRORS.ROUTE_NOT_FOUND, { method: 'for', path: 'this path' }),
    ),
    INTERNAL_JSON: errorJson(NGINX_ERRORS.INTERNAL.code, NGINX_ERRORS.INTERNAL.message),
    NOT_IMPLEMENTED_JSON: errorJson(NGINX_ERRORS.NOT_IMPLEMENTED.code, NGINX_ERRORS.NOT_IMPLEMENTED.message),
    HTTP_VERSION_JSON: errorJson(
      NGINX_ERRORS.HTTP_VERSION_NOT_SUPPORTED.code,
      NGINX_ERRORS.HTTP_VERSION_NOT_SUPPORTED.message,
    ),
  };
  const template = readFileSync(NGINX_TEMPLATE_PATH, 'utf8');
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (whole, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`nginx template placeholder ${whole} has no value`);
    return value;
  });
}
