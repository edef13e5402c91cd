/**
 * Fastify's per-request log lines, replaced by the vocabulary's: `http.request.received` when a
 * request is routed and `http.request.completed` (status, duration in ns, error code) when its
 * answer has been sent (with the task_id of a task the request created or read). Both go
 * through request.log, which carries the correlation id and the request's span (trace.id,
 * span.id, parent.id: request-trace.ts).
 */
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { CORRELATION_ID_HEADER } from '../../contract/correlation-id.ts';
import { DtqError } from '../../contract/dtq-error.ts';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { type EventFields, errorFields, logEvent } from '../../instrumentation/logger.ts';
import { API_ERRORS } from './errors.ts';
import { requestLog } from './request-context.ts';
import { TASK_ID_PATTERN } from './task-resource.ts';

/** Longest User-Agent kept in a log line. */
const MAX_USER_AGENT_LENGTH = 256;

/** Path of a request URL without its query string (which may hold anything). */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function requestFields(request: FastifyRequest): EventFields {
  const fields: EventFields = {
    [F.HTTP_METHOD]: request.method,
    [F.URL_PATH]: pathOf(request.url),
    [F.CLIENT_ADDRESS]: request.ip,
  };
  const route = request.routeOptions.url;
  if (route !== undefined) fields[F.HTTP_ROUTE] = route;
  // A status poll is a line about its task: carrying the task id lets a trace fetched by task
  // id find the poll's request lines (and their status), as nginx's access line already does.
  const taskId = (request.params as { task_id?: unknown } | undefined)?.task_id;
  if (typeof taskId === 'string' && TASK_ID_PATTERN.test(taskId)) fields[F.TASK_ID] = taskId;
  return fields;
}

function completedLevel(status: number, failed: boolean): 'info' | 'warn' | 'error' {
  if (status >= 500) return 'error';
  return status >= 400 || failed ? 'warn' : 'info';
}

/** Errors Fastify reports on the side of a request, carried by its completion line. */
const sideErrors = new WeakMap<FastifyRequest, Error>();

/**
 * Writes the vocabulary's request lines instead of Fastify's. Every hook Fastify would log a
 * request from is overridden: its defaults log the Request and Reply objects themselves, whose
 * raw headers (Authorization, Cookie) no redaction path reaches.
 */
export class ApiLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: F.CORRELATION_ID });
  }

  override incomingRequest(request: FastifyRequest, _reply: FastifyReply): void {
    const header = request.headers[CORRELATION_ID_HEADER];
    // The raw header is never logged: it may be hostile (control characters, kilobytes).
    let note = '';
    if (header === undefined) note = ' (X-Request-ID generated)';
    else if (header !== request.id) note = ' (invalid X-Request-ID replaced)';
    const fields = requestFields(request);
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
    const failure = error ?? sideErrors.get(request);
    const fields = requestFields(request);
    if (request.dtqTaskId !== undefined) fields[F.TASK_ID] = request.dtqTaskId;
    fields[F.HTTP_STATUS] = status;
    fields[F.EVENT_DURATION] = Math.round(reply.elapsedTime * 1e6);
    fields[F.EVENT_OUTCOME] = status >= 400 || failure ? 'failure' : 'success';
    const bytes = Number(reply.getHeader('content-length'));
    if (Number.isFinite(bytes)) fields[F.HTTP_RESPONSE_BYTES] = bytes;
    const answered = request.dtqError;
    if (answered !== undefined) {
      Object.assign(fields, errorFields(answered));
      const cause = answered.cause;
      // The client's message hides internals; the operator's line names what really failed
      // (a Redis timeout and a refused connection both answer DTQ_ERR_API_REDIS_UNAVAILABLE).
      if (cause instanceof DtqError)
        fields[F.ERROR_MESSAGE] = `${answered.message} Cause: ${cause.code}: ${cause.message}`;
      // An unexpected failure is only diagnosable with the original stack.
      if (answered.code === API_ERRORS.INTERNAL.code && cause instanceof Error) fields[F.ERROR_STACK] = cause.stack;
    } else if (failure) {
      Object.assign(fields, errorFields(failure));
    }
    logEvent(
      requestLog(request),
      completedLevel(status, failure !== undefined && failure !== null),
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
