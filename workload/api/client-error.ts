/**
 * Answers to requests Node's HTTP parser refuses before Fastify sees them (a control character
 * in a header, a method such as FOO, headers over `maxHeaderSize`, a request not received in
 * time): the API's JSON error body with a correlation id and an `http.request.completed` line
 * saying why. Without it Fastify writes its own body and logs nothing. The request was never
 * parsed, so the id is read from the raw bytes Node hands over: the X-Request-ID nginx set
 * (it sends it before the client's headers) when it is there and valid, else a fresh one, so
 * the answer nginx relays carries the same id as nginx's own header and log line.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { CORRELATION_ID_HEADER, correlationIdFrom } from '../../contract/correlation-id.ts';
import { type DtqError, dtqError } from '../../contract/dtq-error.ts';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { errorFields, logEvent } from '../../instrumentation/logger.ts';
import { API_ERRORS } from './errors.ts';
import { errorBody } from './plugins/error-handler.ts';

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/** What to tell the client about a parser error code of Node (llhttp's HPE_* and Node's own). */
export function clientErrorOf(code: string | undefined): DtqError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return dtqError(API_ERRORS.HEADER_TOO_LARGE);
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return dtqError(API_ERRORS.REQUEST_TIMEOUT);
    case 'HPE_INVALID_METHOD':
      return dtqError(API_ERRORS.BAD_REQUEST, { reason: 'the method is not one HTTP knows; use GET, HEAD or POST' });
    case 'HPE_INVALID_HEADER_TOKEN':
      return dtqError(API_ERRORS.BAD_REQUEST, {
        reason:
          'a header name or value has a character HTTP does not allow (e.g. a control character); send printable ASCII',
      });
    default:
      return dtqError(API_ERRORS.BAD_REQUEST, {
        reason: `it is not a valid HTTP/1.1 request (${code ?? 'unreadable'})`,
      });
  }
}

const RAW_CORRELATION_HEADER = /\r\nx-request-id:[ \t]*([^\r\n]*?)[ \t]*\r\n/i;

/** The X-Request-ID in the raw bytes of an unparsed request, when there is one (judged by the usual rules). */
export function correlationIdOfRaw(raw: unknown): string {
  // Node hands a Buffer (Fastify's types describe its JSON form).
  const found = Buffer.isBuffer(raw) ? RAW_CORRELATION_HEADER.exec(raw.toString('latin1'))?.[1] : undefined;
  return correlationIdFrom(found).id;
}

/** A Fastify `clientErrorHandler` that answers and logs through `logger`. */
export function createClientErrorHandler(
  logger: Logger,
): (error: Error & { code?: string; rawPacket?: unknown }, socket: Socket) => void {
  return (error, socket) => {
    // A reset or a vanished client cannot be answered; Node reports those here too.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const correlationId = correlationIdOfRaw(error.rawPacket);
    const address = socket.remoteAddress;
    const apiError = clientErrorOf(error.code);
    const status = apiError.statusCode ?? 400;
    const body = JSON.stringify(errorBody(apiError, correlationId));
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}\r\n` +
          'Content-Type: application/json; charset=utf-8\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          `${CORRELATION_ID_HEADER}: ${correlationId}\r\n` +
          'Connection: close\r\n\r\n' +
          body,
      );
    }
    socket.destroy();
    logEvent(
      logger,
      'warn',
      EVENTS.HTTP_REQUEST_COMPLETED,
      {
        [F.CORRELATION_ID]: correlationId,
        [F.HTTP_STATUS]: status,
        [F.EVENT_OUTCOME]: 'failure',
        ...(address === undefined ? {} : { [F.CLIENT_ADDRESS]: address }),
        ...errorFields(apiError),
        // Node's own code says what the parser saw; the client got the catalogue's.
        [F.ERROR_MESSAGE]: `${apiError.message} (Node: ${error.code ?? error.message})`,
      },
      `unparsable request → ${status}`,
    );
  };
}
