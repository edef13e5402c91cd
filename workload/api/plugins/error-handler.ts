/**
 * Every error answer of the API has the same body, `{error: {code, message, correlation_id,
 * ...context}}`, with a code from the catalogue in ../errors.ts. Errors raised by Fastify
 * (body parsing, limits) and by the queue module are translated into that catalogue here.
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { CORRELATION_ID_HEADER } from '../../../contract/correlation-id.ts';
import { DtqError, dtqError, errorBody } from '../../../contract/dtq-error.ts';
import { pathOf } from '../../../instrumentation/fastify.ts';
import { quoteValue } from '../../common/quote.ts';
import { QUEUE_ERRORS } from '../../queue/errors.ts';
import { BODY_LIMIT_BYTES, MAX_PARAM_LENGTH } from '../config.ts';
import { API_ERRORS } from '../errors.ts';

/** Longest piece of client input (e.g. a Content-Type) quoted back in an error. */
const MAX_QUOTED_LENGTH = 100;

const QUEUE_OUTAGE_CODES: ReadonlySet<string> = new Set([
  QUEUE_ERRORS.REDIS_UNAVAILABLE.code,
  QUEUE_ERRORS.REDIS_TIMEOUT.code,
]);

/** Translate any error thrown while serving `request` into an API catalogue error. */
export function toApiError(error: unknown, request: FastifyRequest, retryAfterS: number): DtqError {
  if (error instanceof DtqError) {
    if (error.code.startsWith('DTQ_ERR_API_')) return error;
    if (error.code === QUEUE_ERRORS.ENQUEUE_OUTCOME_UNKNOWN.code) {
      const taskId = String(error.context.task_id);
      return dtqError(API_ERRORS.ENQUEUE_OUTCOME_UNKNOWN, { task_id: taskId, retry_after_s: retryAfterS }, error);
    }
    if (QUEUE_OUTAGE_CODES.has(error.code)) {
      return dtqError(API_ERRORS.REDIS_UNAVAILABLE, { retry_after_s: retryAfterS }, error);
    }
    // Another part's catalogue error meant for HTTP clients (e.g. DTQ_ERR_IDEMPOTENCY_*).
    if (error.statusCode !== undefined) return error;
  }
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return dtqError(API_ERRORS.BODY_TOO_LARGE, { limit_bytes: BODY_LIMIT_BYTES }, error);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const type = request.headers['content-type'];
      const quoted = type === undefined ? '(none)' : quoteValue(type, MAX_QUOTED_LENGTH);
      return dtqError(API_ERRORS.UNSUPPORTED_MEDIA_TYPE, { content_type: quoted }, error);
    }
    // Router refusals: their messages quote the raw path, so the reason is written here.
    case 'FST_ERR_BAD_URL':
      return dtqError(API_ERRORS.BAD_REQUEST, { reason: 'the path is not valid percent-encoding' }, error);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return dtqError(
        API_ERRORS.BAD_REQUEST,
        { reason: `a path segment is longer than ${MAX_PARAM_LENGTH} characters` },
        error,
      );
  }
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return dtqError(
      API_ERRORS.BAD_REQUEST,
      { reason: String(fastifyError.message).slice(0, MAX_QUOTED_LENGTH) },
      error,
    );
  }
  return dtqError(API_ERRORS.INTERNAL, { correlation_id: request.id }, error);
}

function send(error: DtqError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  request.dtqError = error;
  const retryAfter = error.context.retry_after_s;
  if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  return reply.status(error.statusCode ?? 500).send(errorBody(error, request.id));
}

/**
 * Answer what Fastify's router refuses before any hook runs (a malformed percent-encoding, an
 * over-long path parameter; its `frameworkErrors`): otherwise Fastify's own body goes out,
 * without X-Request-ID.
 */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
  retryAfterS: number,
): FastifyReply {
  reply.header(CORRELATION_ID_HEADER, request.id);
  return send(toApiError(error, request, retryAfterS), request, reply);
}

/** Options of {@link errorHandler}. */
export interface ErrorHandlerOptions {
  retryAfterS: number;
}

const installErrorHandlers: FastifyPluginAsync<ErrorHandlerOptions> = async (app, options) => {
  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error, request, options.retryAfterS);
    return send(apiError, request, reply);
  });
  app.setNotFoundHandler((request, reply) =>
    send(
      dtqError(API_ERRORS.ROUTE_NOT_FOUND, {
        method: request.method,
        path: quoteValue(pathOf(request.url), MAX_QUOTED_LENGTH),
      }),
      request,
      reply,
    ),
  );
};

/** Installs the error and not-found handlers for every route (fastify-plugin: not encapsulated). */
export const errorHandler = fastifyPlugin(installErrorHandlers, { name: 'dtq-error-handler' });
