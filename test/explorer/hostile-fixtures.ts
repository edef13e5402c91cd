/**
 * Log lines a hostile client causes, shared by the explorer's tests: a status poll of
 * `/api/v1/tasks/%c0%ae` (invalid UTF-8 once decoded) and a path nginx decoded into terminal
 * escape sequences.
 */
import { EVENTS, F, NS_PER_MS } from '../../contract/vocabulary.ts';
import { happyPath, type LogWriter } from './fixtures.ts';

/** What nginx's access line holds in place of this marker in a file: the raw bytes C0 AE. */
export const INVALID_UTF8_MARKER = '@C0AE@';

/**
 * A path nginx decoded from %1b, %07, %0d, %0a and %c2%9b: a window title change, an OSC 8
 * link, a C1 CSI and a forged log line. (No `//`: nginx would merge it.)
 */
export const HOSTILE_PATH =
  '/api/v1/tasks/x\u001b]0;owned\u0007\u001b]8;;file:/etc/passwd\u001b\\link\u001b]8;;\u001b\\\u009b2J\r\n14:40:00.000 INFO  task.completed FAKE LINE';

/** Control characters a terminal acts on (C0, DEL, C1), newline aside, as code points. */
export function controls(text: string): number[] {
  return [...text.replaceAll('\n', '')]
    .map((char) => char.codePointAt(0) ?? 0)
    .filter((code) => code < 0x20 || (code >= 0x7f && code <= 0x9f));
}

/**
 * A happy request, then `req-bad` (a poll of %c0%ae: the API logs the path as sent, nginx
 * the bytes it decoded, marked by {@link INVALID_UTF8_MARKER}), `req-inject` (answered by
 * nginx alone with {@link HOSTILE_PATH}) and `req-inject-api` (an API that logs decoded paths,
 * as a mapped foreign service may).
 */
export function hostileLogs(invalidUtf8 = INVALID_UTF8_MARKER): LogWriter {
  const w = happyPath();
  const poll = { [F.CORRELATION_ID]: 'req-bad', [F.HTTP_METHOD]: 'GET', [F.URL_PATH]: '/api/v1/tasks/%c0%ae' };
  w.line(5000, 'api', 'api-2', EVENTS.HTTP_REQUEST_RECEIVED, poll);
  w.line(5001, 'api', 'api-2', EVENTS.HTTP_REQUEST_COMPLETED, {
    ...poll,
    [F.HTTP_STATUS]: 400,
    [F.EVENT_DURATION]: NS_PER_MS,
  });
  w.nginx(5002, 'req-bad', 'GET', `/api/v1/tasks/${invalidUtf8}`, 400, 0.002);
  // nginx's own 404, no upstream: a proxied one without API lines would be a trace that cannot tell (exit 5).
  w.nginx(6000, 'req-inject', 'GET', HOSTILE_PATH, 404, 0.001, '-');
  const decoded = { [F.CORRELATION_ID]: 'req-inject-api', [F.HTTP_METHOD]: 'GET', [F.URL_PATH]: HOSTILE_PATH };
  w.line(7000, 'api', 'api-3', EVENTS.HTTP_REQUEST_RECEIVED, decoded);
  w.line(7001, 'api', 'api-3', EVENTS.HTTP_REQUEST_COMPLETED, { ...decoded, [F.HTTP_STATUS]: 404 });
  return w;
}
