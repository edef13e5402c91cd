/**
 * The API's OpenAPI 3.1 description: the route schemas (body, params, headers, responses with
 * their error codes) that routes attach, and the document's header. `@fastify/swagger` collects
 * the attached schemas into the document served at GET /openapi.json.
 *
 * The schemas describe; they do not validate. Fastify's own validation would answer a bad body
 * with its own error (FST_ERR_VALIDATION, Ajv's wording, every failure as one generic 400) and,
 * with its default Ajv options, strip unknown fields and coerce types before the handler could
 * refuse them, so clients would lose the catalogue's codes and the messages naming the field.
 * The task service keeps validating with the same schemas (workload/tasks/validate-task.ts);
 * routes attach these with {@link DESCRIBE_ONLY}, compilers that accept every input and
 * serialize with JSON.stringify, which keeps answers byte for byte what the handlers send.
 */
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { FastifySchema, FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify';
import { CORRELATION_ID_HEADER } from '../../contract/correlation-id.ts';
import type { ErrorDefinition } from '../../contract/dtq-error.ts';
import { PRIORITIES, TASK_STATUSES, TASK_TYPES } from '../../contract/vocabulary.ts';
import { IDEMPOTENCY_ERRORS } from '../idempotency/errors.ts';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_MAX_LENGTH } from '../idempotency/key.ts';
import { NGINX_ERRORS } from '../nginx/errors.ts';
import { QUEUE_ERRORS } from '../queue/errors.ts';
import { TASK_DATA_SCHEMAS } from '../tasks/schemas.ts';
import { DEFAULT_WORK_BUDGET } from '../tasks/work-cost.ts';
import { API_MAX_HEADER_BYTES, BODY_LIMIT_BYTES, DEFAULT_MAX_BODY_DEPTH, MAX_PARAM_LENGTH } from './config.ts';
import { API_ERRORS } from './errors.ts';
import { DEFAULT_PRIORITY } from './services/task-request.ts';

/** Paths the document is served at: the conventional one and @fastify/swagger-ui's. */
export const OPENAPI_PATHS = ['/openapi.json', '/documentation/json'] as const;

/** Largest request header line and header block nginx accepts (docs/api.md). */
export const HEADER_LIMITS = { lineBytes: 8 * 1024, totalBytes: 32 * 1024 } as const;

/** Longest task id, and longest X-Request-ID kept as the correlation id. */
const MAX_ID_LENGTH = 128;

const acceptAll: FastifySchemaCompiler<unknown> = () => () => true;
const stringify: FastifySerializerCompiler<unknown> = () => (data) => JSON.stringify(data);

/** Route options that attach schemas for the document only (see the module comment). */
export const DESCRIBE_ONLY = { validatorCompiler: acceptAll, serializerCompiler: stringify } as const;

type Schema = Record<string, unknown>;

/** An error answer: its description, `Retry-After` where sent, and the body with the codes it can carry. */
interface ErrorResponse {
  description: string;
  content: { 'application/json': { schema: Schema } };
  headers?: Record<string, Schema>;
}

/** `{error: {code, message, correlation_id, ...}}` with the codes a response can carry. */
function errorResponse(description: string, errors: readonly ErrorDefinition[]): ErrorResponse {
  const codes = errors.map((e) => e.code);
  return {
    description: `${description} Codes: ${codes.join(', ')}.`,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'correlation_id'],
              additionalProperties: true,
              properties: {
                code: { type: 'string', enum: codes, description: 'Stable error code.' },
                message: { type: 'string', description: 'What went wrong and what to do.' },
                correlation_id: { type: 'string', description: 'The request’s X-Request-ID.' },
              },
            },
          },
        },
      },
    },
    ...(errors.some((e) => e.statusCode === 503 || e.statusCode === 409 || e.statusCode === 502)
      ? { headers: { 'retry-after': { type: 'integer', description: 'Seconds to wait before retrying.' } } }
      : {}),
  };
}

const A = API_ERRORS;
const I = IDEMPOTENCY_ERRORS;
const N = NGINX_ERRORS;

/** Answers every route may give: refused by nginx or the HTTP parser, a bug, an outage in front. */
const COMMON_ERRORS: Schema = {
  405: errorResponse('Answered by nginx: only GET, HEAD and POST are served.', [N.METHOD_NOT_ALLOWED]),
  414: errorResponse('Answered by nginx: the request line is too long.', [N.URI_TOO_LONG]),
  429: errorResponse('Answered by nginx: too many requests per second from one address (docs/api.md, Limits).', [
    N.RATE_LIMITED,
  ]),
  408: errorResponse('An API called directly did not receive the whole request in time.', [A.REQUEST_TIMEOUT]),
  431: errorResponse(
    `Request headers too large: nginx refuses over ${HEADER_LIMITS.lineBytes} bytes in one header line or ${HEADER_LIMITS.totalBytes} bytes in all; an API called directly answers 431 with this body (DTQ_ERR_API_HEADER_TOO_LARGE) over ${API_MAX_HEADER_BYTES / 1024} KiB.`,
    [A.HEADER_TOO_LARGE],
  ),
  500: errorResponse('A bug; report it with the correlation id.', [A.INTERNAL, N.INTERNAL]),
  501: errorResponse('Answered by nginx: an HTTP feature that is not supported (e.g. Transfer-Encoding).', [
    N.NOT_IMPLEMENTED,
  ]),
  502: errorResponse('Answered by nginx: no API instance could take the request.', [A.NO_UPSTREAM]),
  504: errorResponse(
    'Answered by nginx: no API instance answered in time (connect 1 s, read 30 s); retry with the same Idempotency-Key.',
    [A.UPSTREAM_TIMEOUT],
  ),
  505: errorResponse('Answered by nginx: speak HTTP/1.1 or HTTP/1.0.', [N.HTTP_VERSION_NOT_SUPPORTED]),
};

const correlationHeader = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_ID_LENGTH,
  pattern: '^[A-Za-z0-9._:-]+$',
  description: `Correlation id (1 to ${MAX_ID_LENGTH} of [A-Za-z0-9._:-]); any other value is replaced by a generated one. Echoed in the answer's X-Request-ID.`,
};

/** Body of POST /api/v1/tasks: one variant per task type, with that type's `data` schema. */
const taskBody: Schema = {
  description: `A task. At most ${BODY_LIMIT_BYTES} bytes (1 MiB) of application/json; unknown fields are refused (400 DTQ_ERR_API_INVALID_FIELD naming the field).`,
  type: 'object',
  required: ['task_type', 'data'],
  additionalProperties: false,
  properties: {
    task_type: { type: 'string', enum: [...TASK_TYPES] },
    priority: {
      type: 'string',
      enum: [...PRIORITIES],
      default: DEFAULT_PRIORITY,
      description: 'The queue it goes to.',
    },
    data: { type: 'object', description: 'The parameters of task_type (see the variants).' },
  },
  oneOf: TASK_TYPES.map((type) => ({
    title: type,
    properties: { task_type: { const: type }, data: TASK_DATA_SCHEMAS[type] },
  })),
};

const created: Schema = {
  description: 'Queued. Location names the task.',
  headers: { location: { type: 'string', description: 'Path of the task: /api/v1/tasks/<task_id>.' } },
  type: 'object',
  required: ['task_id', 'status', 'correlation_id'],
  properties: {
    task_id: { type: 'string' },
    status: { type: 'string', const: 'queued' },
    correlation_id: { type: 'string' },
  },
};

const taskView: Schema = {
  description: 'The task.',
  type: 'object',
  required: [
    'task_id',
    'task_type',
    'status',
    'priority',
    'queue',
    'correlation_id',
    'attempts',
    'max_attempts',
    'enqueued_at',
  ],
  properties: {
    task_id: { type: 'string' },
    task_type: { type: 'string', enum: [...TASK_TYPES] },
    status: { type: 'string', enum: [...TASK_STATUSES] },
    priority: { type: 'string', enum: [...PRIORITIES] },
    queue: { type: 'string', enum: [...PRIORITIES] },
    correlation_id: { type: 'string' },
    attempts: { type: 'integer', minimum: 0 },
    max_attempts: { type: 'integer', minimum: 1 },
    enqueued_at: { type: 'string', format: 'date-time' },
    started_at: { type: 'string', format: 'date-time' },
    finished_at: { type: 'string', format: 'date-time' },
    result: { description: 'The result, when status is succeeded.' },
    error: {
      type: 'object',
      properties: { message: { type: 'string' } },
      description: 'The last failure, also while a retry is pending.',
    },
  },
};

/** Schema of POST /api/v1/tasks. */
export const CREATE_TASK_SCHEMA: FastifySchema = {
  summary: 'Queue a task',
  tags: ['tasks'],
  headers: {
    type: 'object',
    properties: {
      [IDEMPOTENCY_KEY_HEADER]: {
        type: 'string',
        minLength: 1,
        maxLength: IDEMPOTENCY_KEY_MAX_LENGTH,
        description: `1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters, bare or as a quoted Structured Field string; sent once. A repeat with the same key and body replays the first answer (with Idempotent-Replayed: true); see docs/idempotency.md.`,
      },
      [CORRELATION_ID_HEADER]: correlationHeader,
    },
  },
  body: taskBody,
  response: {
    202: created,
    400: errorResponse(
      'The body or the Idempotency-Key is invalid (`field` and `expected` name the problem), the body nests too deeply or holds a prototype key, or the task is over its work budget.',
      [
        A.INVALID_FIELD,
        A.UNKNOWN_TASK_TYPE,
        A.MALFORMED_JSON,
        A.BODY_TOO_DEEP,
        A.FORBIDDEN_KEY,
        A.WORK_BUDGET_EXCEEDED,
        A.BAD_REQUEST,
        I.KEY_INVALID,
      ],
    ),
    409: errorResponse('A request with this Idempotency-Key is still running; retry after Retry-After.', [I.IN_FLIGHT]),
    413: errorResponse(`The body is over ${BODY_LIMIT_BYTES} bytes (1 MiB).`, [A.BODY_TOO_LARGE]),
    415: errorResponse('The Content-Type is not application/json.', [A.UNSUPPORTED_MEDIA_TYPE]),
    422: errorResponse('This Idempotency-Key was used with another body.', [I.PAYLOAD_MISMATCH]),
    ...COMMON_ERRORS,
    500: errorResponse('A bug; report it with the correlation id.', [A.INTERNAL, N.INTERNAL, I.STORE_INCONSISTENT]),
    503: errorResponse(
      `Refused for now; retry after Retry-After. Back-pressure (more tasks waiting than DTQ_CIRCUIT_THRESHOLD), or Redis down or slow (the operator's log names the cause: ${QUEUE_ERRORS.REDIS_UNAVAILABLE.code}, ${QUEUE_ERRORS.REDIS_TIMEOUT.code} or ${QUEUE_ERRORS.ENQUEUE_OUTCOME_UNKNOWN.code}), or the idempotency store unreachable. ${A.ENQUEUE_OUTCOME_UNKNOWN.code}: Redis failed mid-enqueue; the body's task_id may exist (GET it) and is never queued later.`,
      [A.CIRCUIT_OPEN, A.REDIS_UNAVAILABLE, A.ENQUEUE_OUTCOME_UNKNOWN, I.STORE_UNAVAILABLE, N.TOO_MANY_CONNECTIONS],
    ),
  },
};

/** Schema of GET /api/v1/tasks/:task_id. */
export const GET_TASK_SCHEMA: FastifySchema = {
  summary: 'Read a task',
  tags: ['tasks'],
  params: {
    type: 'object',
    required: ['task_id'],
    properties: {
      task_id: {
        type: 'string',
        minLength: 1,
        maxLength: MAX_ID_LENGTH,
        pattern: '^[A-Za-z0-9._-]+$',
        description: `As returned by POST /api/v1/tasks: 1 to ${MAX_ID_LENGTH} of [A-Za-z0-9._-]. A path segment over ${MAX_PARAM_LENGTH} characters is refused by the router (DTQ_ERR_API_BAD_REQUEST).`,
      },
    },
  },
  headers: { type: 'object', properties: { [CORRELATION_ID_HEADER]: correlationHeader } },
  response: {
    200: taskView,
    400: errorResponse('The task id cannot be a task id, or the path cannot be read.', [
      A.INVALID_TASK_ID,
      A.BAD_REQUEST,
    ]),
    404: errorResponse('No such task: it never existed or its record expired (24 h; failed tasks 7 days).', [
      A.TASK_NOT_FOUND,
    ]),
    ...COMMON_ERRORS,
    503: errorResponse(
      'Redis is down or too slow, or too many requests from one address are in progress (nginx); retry after Retry-After.',
      [A.REDIS_UNAVAILABLE, N.TOO_MANY_CONNECTIONS],
    ),
  },
};

/** Schema of GET /health. */
export const HEALTH_SCHEMA: FastifySchema = {
  summary: 'Liveness: the process answers (no Redis call)',
  tags: ['probes'],
  response: {
    200: {
      description: 'Alive.',
      type: 'object',
      properties: { status: { type: 'string', const: 'ok' }, instance: { type: 'string' } },
    },
  },
};

const queueCounts = {
  type: 'object',
  properties: Object.fromEntries(
    ['waiting', 'delayed', 'active', 'failed'].map((state) => [state, { type: 'integer', minimum: 0 }]),
  ),
};

/** Schema of GET /ready. */
export const READY_SCHEMA: FastifySchema = {
  summary: 'Readiness: Redis answers; job counts per queue',
  tags: ['probes'],
  response: {
    200: {
      description: 'Ready.',
      type: 'object',
      properties: {
        status: { type: 'string', const: 'ready' },
        instance: { type: 'string' },
        redis: { type: 'string', const: 'up' },
        queues: {
          type: 'object',
          properties: Object.fromEntries(PRIORITIES.map((p) => [p, queueCounts])),
        },
      },
    },
    503: errorResponse('Redis does not answer, or too many requests from one address are in progress (nginx).', [
      A.REDIS_UNAVAILABLE,
      N.TOO_MANY_CONNECTIONS,
    ]),
  },
};

/** Schema of GET /metrics. */
export const METRICS_SCHEMA: FastifySchema = {
  summary: 'Prometheus metrics of this instance (text exposition format); see docs/api.md',
  tags: ['probes'],
  produces: ['text/plain'],
  response: { 200: { description: 'Prometheus text format 0.0.4.', type: 'string' } },
};

/** Options of @fastify/swagger: the document's header and the answers every path shares. */
export const SWAGGER_OPTIONS: FastifyDynamicSwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'dtq task API',
      version: '1',
      description: [
        'Queue risk computations and read their state. Every answer carries X-Request-ID.',
        `Every error is {error: {code, message, correlation_id, ...}} with a stable DTQ_ERR_* code; unknown routes get 404 ${A.ROUTE_NOT_FOUND.code}.`,
        `Limits: body ${BODY_LIMIT_BYTES} bytes (1 MiB), nested at most ${DEFAULT_MAX_BODY_DEPTH} levels (DTQ_API_MAX_BODY_DEPTH); work per task ${DEFAULT_WORK_BUDGET} steps by default (DTQ_WORK_BUDGET_<TYPE>, see docs/api.md); Idempotency-Key ${IDEMPOTENCY_KEY_MAX_LENGTH} characters; X-Request-ID and task id ${MAX_ID_LENGTH} characters; path segment ${MAX_PARAM_LENGTH} characters; header line ${HEADER_LIMITS.lineBytes} bytes, all headers ${HEADER_LIMITS.totalBytes} bytes (nginx).`,
      ].join('\n\n'),
    },
    tags: [
      { name: 'tasks', description: 'Task creation and status.' },
      { name: 'probes', description: 'Liveness, readiness and metrics.' },
    ],
    components: {
      responses: {
        RouteNotFound: errorResponse('No such route.', [A.ROUTE_NOT_FOUND]),
      },
    },
  },
};
