/**
 * Fastify instrumentation: the contract's request lines from Fastify's own extension points.
 *
 * - `genReqId` makes the request id the correlation id: the client's `X-Request-ID` when it is
 *   valid (contract/correlation-id.ts), else a fresh one.
 * - `childLoggerFactory` binds that id and the request's W3C span (a child of the caller's
 *   `traceparent`, or a new trace's root) to the request's logger, so every line of the request
 *   carries `correlation_id`, `trace.id`, `span.id` and `parent.id`.
 * - a `LogController` replaces Fastify's per-request lines with `http.request.received` and
 *   `http.request.completed`. Fastify's defaults log the Request and Reply objects, whose raw
 *   headers (Authorization, Cookie) no redaction path reaches; these lines never carry headers.
 * - the {@link correlationIdEcho} plugin answers every request with its `X-Request-ID`.
 *
 * Usage: `Fastify({ ...fastifyInstrumentation({ logger }) })`, then `app.register(correlationIdEcho)`.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { LogController } from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';
import { CORRELATION_ID_HEADER, correlationIdFrom } from '../contract/correlation-id.ts';
import { formatTraceparent, type SpanContext, startSpan, TRACEPARENT_HEADER } from '../contract/trace-context.ts';
import { EVENTS, F } from '../contract/vocabulary.ts';
import { type EventFields, errorFields, logEvent } from './events.ts';

/** Longest User-Agent kept in a log line. */
export const MAX_USER_AGENT_LENGTH = 256;

/** Options of {@link fastifyInstrumentation}. */
export interface FastifyInstrumentationOptions {
  /** The process's logger (instrumentation/logger.ts's createLogger, or any pino logger). */
  logger: Logger;
  /** Extra fields on both request lines, e.g. an id read from the route's params. */
  requestFields?(request: FastifyRequest): EventFields;
  /**
   * Extra fields on the completion line, written over the defaults: e.g. the id of what the
   * request created, or the error the application answered with in place of the one thrown.
   */
  completedFields?(request: FastifyRequest, reply: FastifyReply, failure: Error | undefined): EventFields;
}

/** The Fastify server options that instrument it; spread them into `Fastify({...})`. */
export interface InstrumentedServerOptions {
  /** Instance-level lines (e.g. "Server listening") are not contract events: warnings and worse only. */
  loggerInstance: Logger;
  /** Binds the correlation id and the request's span; Fastify's instance logger (first argument) is not used. */
  childLoggerFactory: (
    this: unknown,
    instanceLogger: unknown,
    bindings: Bindings,
    options: ChildLoggerOptions,
    raw: IncomingMessage,
  ) => Logger;
  genReqId: (raw: IncomingMessage) => string;
  logController: RequestLogController;
}

/** Server options that make Fastify write the contract's request lines on `options.logger`. */
export function fastifyInstrumentation(options: FastifyInstrumentationOptions): InstrumentedServerOptions {
  const { logger } = options;
  return {
    loggerInstance: logger.child({}, { level: 'warn' }),
    // Request loggers are full-level children of the logger, with the request's span bound.
    childLoggerFactory: (_instanceLogger, bindings, childOptions, raw) =>
      logger.child({ ...bindings, ...spanFields(requestSpan(raw)) }, childOptions),
    genReqId: (raw) => correlationIdFrom(raw.headers[CORRELATION_ID_HEADER]).id,
    logController: new RequestLogController(options),
  };
}

// Keyed by the raw request: Fastify makes the logger from it before the request object exists.
const spans = new WeakMap<IncomingMessage, SpanContext>();

/** The span of a raw request, started on first use (one span per request however often it is asked). */
export function requestSpan(raw: IncomingMessage): SpanContext {
  let span = spans.get(raw);
  if (span === undefined) {
    span = startSpan(raw.headers[TRACEPARENT_HEADER]);
    spans.set(raw, span);
  }
  return span;
}

/** The span of a Fastify request. */
export function spanOf(request: FastifyRequest): SpanContext {
  return requestSpan(request.raw);
}

/** The W3C `traceparent` of the request's span, for what the request calls or enqueues. */
export function traceparentOf(request: FastifyRequest): string {
  return formatTraceparent(spanOf(request));
}

/** The log fields of a span: trace.id, span.id, and parent.id when a caller sent one. */
export function spanFields(span: SpanContext): EventFields {
  return span.parentId === undefined
    ? { [F.TRACE_ID]: span.traceId, [F.SPAN_ID]: span.spanId }
    : { [F.TRACE_ID]: span.traceId, [F.SPAN_ID]: span.spanId, [F.PARENT_ID]: span.parentId };
}

/** The request's logger as the pino logger it is (with the correlation id and span bound). */
export function requestLog(request: FastifyRequest): Logger {
  return request.log as unknown as Logger;
}

/** Path of a request URL without its query string (which may hold anything). */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function completedLevel(status: number, failed: boolean): 'info' | 'warn' | 'error' {
  if (status >= 500) return 'error';
  return status >= 400 || failed ? 'warn' : 'info';
}

/** Errors Fastify reports on the side of a request, carried by its completion line. */
const sideErrors = new WeakMap<FastifyRequest, Error>();

/**
 * Writes the contract's request lines instead of Fastify's. Every hook Fastify would log a
 * request from is overridden. Call `requestCompleted` yourself for a request Fastify logs as
 * received but never as completed (one its router refused: `frameworkErrors`).
 */
export class RequestLogController extends LogController {
  readonly #options: FastifyInstrumentationOptions;

  constructor(options: FastifyInstrumentationOptions) {
    super({ requestIdLogLabel: F.CORRELATION_ID });
    this.#options = options;
  }

  #requestFields(request: FastifyRequest): EventFields {
    const fields: EventFields = {
      [F.HTTP_METHOD]: request.method,
      [F.URL_PATH]: pathOf(request.url),
      [F.CLIENT_ADDRESS]: request.ip,
    };
    const route = request.routeOptions.url;
    if (route !== undefined) fields[F.HTTP_ROUTE] = route;
    if (this.#options.requestFields) Object.assign(fields, this.#options.requestFields(request));
    return fields;
  }

  override incomingRequest(request: FastifyRequest, _reply: FastifyReply): void {
    const header = request.headers[CORRELATION_ID_HEADER];
    // The raw header is never logged: it may be hostile (control characters, kilobytes).
    let note = '';
    if (header === undefined) note = ' (X-Request-ID generated)';
    else if (header !== request.id) note = ' (invalid X-Request-ID replaced)';
    const fields = this.#requestFields(request);
    const agent = request.headers['user-agent'];
    if (agent !== undefined) fields[F.USER_AGENT] = agent.slice(0, MAX_USER_AGENT_LENGTH);
    const length = Number(request.headers['content-length']);
    if (Number.isFinite(length)) fields[F.HTTP_REQUEST_BYTES] = length;
    logEvent(
      requestLog(request),
      'info',
      EVENTS.HTTP_REQUEST_RECEIVED,
      fields,
      `${request.method} ${fields[F.URL_PATH]}${note}`,
    );
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const status = reply.statusCode;
    const failure = error ?? sideErrors.get(request) ?? undefined;
    const fields = this.#requestFields(request);
    fields[F.HTTP_STATUS] = status;
    fields[F.EVENT_DURATION] = Math.round(reply.elapsedTime * 1e6);
    fields[F.EVENT_OUTCOME] = status >= 400 || failure ? 'failure' : 'success';
    const bytes = Number(reply.getHeader('content-length'));
    if (Number.isFinite(bytes)) fields[F.HTTP_RESPONSE_BYTES] = bytes;
    if (failure) Object.assign(fields, errorFields(failure));
    if (this.#options.completedFields) Object.assign(fields, this.#options.completedFields(request, reply, failure));
    logEvent(
      requestLog(request),
      completedLevel(status, failure !== undefined),
      EVENTS.HTTP_REQUEST_COMPLETED,
      fields,
      `${request.method} ${fields[F.URL_PATH]} → ${status}`,
    );
  }

  /** The answer was cut off after its headers (e.g. the client left): no 'finish' follows, so this completes it. */
  override streamError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    this.requestCompleted(error, request, reply);
  }

  override defaultErrorLog(error: Error, request: FastifyRequest): void {
    sideErrors.set(request, error);
  }

  override writeHeadError(error: Error, request: FastifyRequest): void {
    sideErrors.set(request, error);
  }

  override serializerError(error: Error, request: FastifyRequest): void {
    sideErrors.set(request, error);
  }
}

/** A request Node's HTTP parser refused before Fastify saw it, as a `clientErrorHandler` answered it. */
export interface RefusedRequest {
  /** The id the answer carried (read from the raw bytes when valid, else generated). */
  correlationId: string;
  /** The span the request would have had (a child of the raw `traceparent`, when there was one). */
  span: SpanContext;
  /** Status of the answer written to the socket. */
  status: number;
  clientAddress?: string | undefined;
  /** The error the client was told about. */
  error: Error;
  /** What the parser saw (Node's code, e.g. HPE_INVALID_METHOD), for the operator. */
  parserCode: string;
}

/** The `http.request.completed` line of a request Node refused to parse (Fastify logs nothing for it). */
export function logRefusedRequest(logger: Logger, refused: RefusedRequest): void {
  logEvent(
    logger,
    'warn',
    EVENTS.HTTP_REQUEST_COMPLETED,
    {
      [F.CORRELATION_ID]: refused.correlationId,
      ...spanFields(refused.span),
      [F.HTTP_STATUS]: refused.status,
      [F.EVENT_OUTCOME]: 'failure',
      ...(refused.clientAddress === undefined ? {} : { [F.CLIENT_ADDRESS]: refused.clientAddress }),
      ...errorFields(refused.error),
      [F.ERROR_MESSAGE]: `${refused.error.message} (Node: ${refused.parserCode})`,
    },
    `unparsable request → ${refused.status}`,
  );
}

async function echo(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header(CORRELATION_ID_HEADER, request.id);
}

const echoPlugin: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', echo);
};
// What fastify-plugin sets, written out so the helper needs Fastify alone: the hook applies to
// every route, not only to those registered inside the plugin.
Object.assign(echoPlugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'dtq-correlation-id-echo',
  [Symbol.for('plugin-meta')]: { name: 'dtq-correlation-id-echo' },
});

/** A plugin that answers every request, errors included, with its correlation id in `X-Request-ID`. */
export const correlationIdEcho: FastifyPluginAsync = echoPlugin;
