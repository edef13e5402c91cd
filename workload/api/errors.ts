/**
 * Error catalogue of the HTTP API. Every error a client can receive has a stable code, an HTTP
 * status and a message that says what to do. docs/api.md carries the same table; a test keeps
 * the two in step.
 */
import type { ErrorDefinition } from '../../contract/dtq-error.ts';

/** Errors the API answers with, by name. */
export const API_ERRORS = {
  INVALID_FIELD: {
    code: 'DTQ_ERR_API_INVALID_FIELD',
    statusCode: 400,
    message: '{field} is invalid: expected {expected}.',
  },
  UNKNOWN_TASK_TYPE: {
    code: 'DTQ_ERR_API_UNKNOWN_TASK_TYPE',
    statusCode: 400,
    message: 'task_type {task_type} is not known; use one of: {known}.',
  },
  MALFORMED_JSON: {
    code: 'DTQ_ERR_API_MALFORMED_JSON',
    statusCode: 400,
    message: 'The request body is not valid JSON ({reason}). Send one JSON object.',
  },
  BODY_TOO_DEEP: {
    code: 'DTQ_ERR_API_BODY_TOO_DEEP',
    statusCode: 400,
    message:
      'The request body nests arrays and objects more than {limit} levels deep. Send the task as documented in docs/api.md; no valid task nests that deep.',
  },
  FORBIDDEN_KEY: {
    code: 'DTQ_ERR_API_FORBIDDEN_KEY',
    statusCode: 400,
    message:
      'The request body has a key named {key}, which is refused because it could change the prototype of the objects it is read into. Remove or rename the key.',
  },
  WORK_BUDGET_EXCEEDED: {
    code: 'DTQ_ERR_API_WORK_BUDGET_EXCEEDED',
    statusCode: 400,
    message:
      'This {task_type} task would cost about {cost_text} steps of computation, above the budget of {budget_text} for its type ({variable}). Ask for fewer simulations, positions or assets, or split the work into several tasks.',
  },
  BAD_REQUEST: {
    code: 'DTQ_ERR_API_BAD_REQUEST',
    statusCode: 400,
    message: 'The request could not be read: {reason}.',
  },
  INVALID_TASK_ID: {
    code: 'DTQ_ERR_API_INVALID_TASK_ID',
    statusCode: 400,
    message: 'task_id must be 1 to 128 characters of [A-Za-z0-9._-], as returned by POST /api/v1/tasks.',
  },
  TASK_NOT_FOUND: {
    code: 'DTQ_ERR_API_TASK_NOT_FOUND',
    statusCode: 404,
    message: 'No task {task_id}: it never existed or its record expired. Check the id returned by POST /api/v1/tasks.',
  },
  ROUTE_NOT_FOUND: {
    code: 'DTQ_ERR_API_ROUTE_NOT_FOUND',
    statusCode: 404,
    message: 'No route {method} {path}. See docs/api.md for the routes.',
  },
  BODY_TOO_LARGE: {
    code: 'DTQ_ERR_API_BODY_TOO_LARGE',
    statusCode: 413,
    message: 'The request body is larger than {limit_bytes} bytes. Send fewer positions or split the work into tasks.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    code: 'DTQ_ERR_API_UNSUPPORTED_MEDIA_TYPE',
    statusCode: 415,
    message: 'Content-Type {content_type} is not supported. Send the body as application/json.',
  },
  HEADER_TOO_LARGE: {
    code: 'DTQ_ERR_API_HEADER_TOO_LARGE',
    statusCode: 431,
    message:
      'The request headers are too large (over 8 KiB in one header line or 32 KiB in all). Send smaller headers.',
  },
  REQUEST_TIMEOUT: {
    code: 'DTQ_ERR_API_REQUEST_TIMEOUT',
    statusCode: 408,
    message: 'The request was not received completely in time. Send the whole request without pausing.',
  },
  CIRCUIT_OPEN: {
    code: 'DTQ_ERR_API_CIRCUIT_OPEN',
    statusCode: 503,
    message:
      'The queues hold {queue_depth} waiting tasks, above the limit of {threshold}; new tasks are refused until they drain. Retry after {retry_after_s} s.',
  },
  REDIS_UNAVAILABLE: {
    code: 'DTQ_ERR_API_REDIS_UNAVAILABLE',
    statusCode: 503,
    message:
      'The task store (Redis) is unavailable, so the request could not be served. Retry after {retry_after_s} s.',
  },
  ENQUEUE_OUTCOME_UNKNOWN: {
    code: 'DTQ_ERR_API_ENQUEUE_OUTCOME_UNKNOWN',
    statusCode: 503,
    message:
      'The task store (Redis) failed while task {task_id} was being queued: it may or may not have been queued, and it will not be queued later. GET /api/v1/tasks/{task_id} tells which (404: it was not). Retry after {retry_after_s} s, with an Idempotency-Key to be sure it runs once.',
  },
  NO_UPSTREAM: {
    code: 'DTQ_ERR_API_NO_UPSTREAM',
    statusCode: 502,
    message: 'No API instance could take the request (all down or failing). Retry after {retry_after_s} s.',
  },
  UPSTREAM_TIMEOUT: {
    code: 'DTQ_ERR_API_UPSTREAM_TIMEOUT',
    statusCode: 504,
    message:
      'No API instance answered in time, so the request may or may not have been carried out. Retry after {retry_after_s} s with the same Idempotency-Key to be safe.',
  },
  INTERNAL: {
    code: 'DTQ_ERR_API_INTERNAL',
    statusCode: 500,
    message: 'Unexpected server error. Report it with the correlation id {correlation_id}.',
  },
} as const satisfies Record<string, ErrorDefinition>;
