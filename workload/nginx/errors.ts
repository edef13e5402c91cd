/**
 * Error catalogue of the nginx part (workload/nginx): the renderer's own error, and the answers
 * nginx gives clients itself, in the API's error format, for what it refuses before any API sees
 * the request. (nginx's other answers reuse the API's codes: 400, 413, 431, 502, 504.)
 * docs/api.md ("Limits") carries the client-facing ones; a test keeps the two in step.
 */
import type { ErrorDefinition } from '../../contract/dtq-error.ts';

/** Errors raised while rendering the nginx configuration, and nginx's own answers to clients. */
export const NGINX_ERRORS = {
  CONFIG_INVALID: {
    code: 'DTQ_ERR_NGINX_CONFIG_INVALID',
    message: 'nginx option {option}={value} is not valid: expected {expected}.',
  },
  METHOD_NOT_ALLOWED: {
    code: 'DTQ_ERR_NGINX_METHOD_NOT_ALLOWED',
    statusCode: 405,
    message: 'The method is not served here: use GET, HEAD or POST (see docs/api.md for the routes).',
  },
  URI_TOO_LONG: {
    code: 'DTQ_ERR_NGINX_URI_TOO_LONG',
    statusCode: 414,
    message: 'The request line is longer than {limit_bytes} bytes. Send a shorter path and query string.',
  },
  RATE_LIMITED: {
    code: 'DTQ_ERR_NGINX_RATE_LIMITED',
    statusCode: 429,
    message:
      'More than {rate} requests per second (burst {burst}) came from your address. Slow down and retry after {retry_after_s} s.',
  },
  TOO_MANY_CONNECTIONS: {
    code: 'DTQ_ERR_NGINX_TOO_MANY_CONNECTIONS',
    statusCode: 503,
    message:
      'More than {limit} requests from your address are in progress at once. Wait for answers before sending more; retry after {retry_after_s} s.',
  },
  INTERNAL: {
    code: 'DTQ_ERR_NGINX_INTERNAL',
    statusCode: 500,
    message: 'nginx failed to handle the request. Report it with the correlation id.',
  },
  NOT_IMPLEMENTED: {
    code: 'DTQ_ERR_NGINX_NOT_IMPLEMENTED',
    statusCode: 501,
    message:
      'The request uses an HTTP feature that is not supported (e.g. a Transfer-Encoding other than chunked). Send a Content-Length or a chunked body.',
  },
  HTTP_VERSION_NOT_SUPPORTED: {
    code: 'DTQ_ERR_NGINX_HTTP_VERSION_NOT_SUPPORTED',
    statusCode: 505,
    message: 'The HTTP version is not supported on this port: speak HTTP/1.1 (or HTTP/1.0).',
  },
} as const satisfies Record<string, ErrorDefinition>;
