/**
 * Answers to requests Node's HTTP parser refuses before Fastify sees them (a control character
 * in a header, a method such as FOO, headers over `maxHeaderSize`, a request not received in
 * time): the API's JSON error body with a correlation id and an `http.request.completed` line
 * saying why. Without it Fastify writes its own body and logs nothing. The request was never
 * parsed, so the id is read from the raw bytes Node hands over: the X-Request-ID nginx set
 * (it sends it before the client's headers) when it is there and valid, else a fresh one, so
 * the answer nginx relays carries the same id as nginx's own header and log line. The line
 * carries the request's span too, a child of the traceparent nginx set, read the same way.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { CORRELATION_ID_HEADER, correlationIdFrom } from '../../contract/correlation-id.ts';
import { type DtqError, dtqError, errorBody } from '../../contract/dtq-error.ts';
import { startSpan, TRACEPARENT_HEADER } from '../../contract/trace-context.ts';
import { logRefusedRequest } from '../../instrumentation/fastify.ts';
import { API_ERRORS } from './errors.ts';

/** How long an answered socket may stay open for the client to read the answer. */
const CLOSE_GRACE_MS = 1000;

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

/**
 * How much of the raw packet is searched: nginx sends X-Request-ID and traceparent first, so
 * they sit well within the first bytes. The bound and the plain scan below (no regex) keep the work linear in a small
 * input whatever a direct client sends (a regex with overlapping quantifiers backtracks for
 * seconds on a long run of spaces without a line end).
 */
const RAW_SCAN_BYTES = 8 * 1024;
/** The value of the X-Request-ID header in raw request bytes, trimmed, or undefined when absent or unterminated. */
export function rawCorrelationHeader(raw: Buffer): string | undefined {
  return rawHeader(raw, CORRELATION_ID_HEADER);
}

/** The value of header `name` (lowercase) in raw request bytes, trimmed, or undefined when absent or unterminated. */
export function rawHeader(raw: Buffer, name: string): string | undefined {
  const text = raw.subarray(0, RAW_SCAN_BYTES).toString('latin1');
  const headerStart = `\r\n${name}:`;
  const start = text.toLowerCase().indexOf(headerStart);
  if (start === -1) return undefined;
  const valueStart = start + headerStart.length;
  const end = text.indexOf('\r\n', valueStart);
  if (end === -1) return undefined;
  let from = valueStart;
  let to = end;
  while (from < to && isBlank(text.charCodeAt(from))) from++;
  while (to > from && isBlank(text.charCodeAt(to - 1))) to--;
  return text.slice(from, to);
}

/** Space or horizontal tab, the optional whitespace around a header value. */
function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** The X-Request-ID in the raw bytes of an unparsed request, when there is one (judged by the usual rules). */
export function correlationIdOfRaw(raw: unknown): string {
  // Node hands a Buffer (Fastify's types describe its JSON form).
  return correlationIdFrom(Buffer.isBuffer(raw) ? rawCorrelationHeader(raw) : undefined).id;
}

/** A Fastify `clientErrorHandler` that answers and logs through `logger`. */
export function createClientErrorHandler(
  logger: Logger,
): (error: Error & { code?: string; rawPacket?: unknown }, socket: Socket) => void {
  return (error, socket) => {
    // A reset or a vanished client cannot be answered; Node reports those here too.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // Already answered: the parser keeps failing on each later chunk of the request being drained.
    if (socket.writableEnded) return;
    const correlationId = correlationIdOfRaw(error.rawPacket);
    // The request's span, as Fastify would have started it: a child of nginx's when it sent one.
    const span = startSpan(
      Buffer.isBuffer(error.rawPacket) ? rawHeader(error.rawPacket, TRACEPARENT_HEADER) : undefined,
    );
    const address = socket.remoteAddress;
    const apiError = clientErrorOf(error.code);
    const status = apiError.statusCode ?? 400;
    const body = JSON.stringify(errorBody(apiError, correlationId));
    if (socket.writable) {
      // end() flushes the answer before the FIN, where destroy() could drop it; and closing with
      // request bytes still unread makes Linux send a reset in place of the answer, so the rest of
      // the request is read and discarded until the client closes too. The timer bounds how long
      // a client that neither reads nor closes can hold the socket.
      const closeTimer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
      closeTimer.unref();
      socket.once('close', () => clearTimeout(closeTimer));
      socket.once('end', () => socket.destroy());
      socket.resume();
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}\r\n` +
          'Content-Type: application/json; charset=utf-8\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          `${CORRELATION_ID_HEADER}: ${correlationId}\r\n` +
          'Connection: close\r\n\r\n' +
          body,
      );
    } else {
      socket.destroy();
    }
    // Node's own code says what the parser saw; the client got the catalogue's.
    logRefusedRequest(logger, {
      correlationId,
      span,
      status,
      clientAddress: address,
      error: apiError,
      parserCode: error.code ?? error.message,
    });
  };
}
