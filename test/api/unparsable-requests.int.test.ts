/**
 * Requests Node's HTTP parser refuses, sent straight to the API's port: each gets the API's
 * JSON error body with a generated correlation id (also in X-Request-ID) and one log line,
 * instead of Fastify's own body and silence.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORRELATION_ID_PATTERN } from '../../contract/correlation-id.ts';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { startNginx, type TestNginx } from '../utils/nginx.ts';
import { waitFor } from '../utils/wait.ts';
import { type ApiHarness, startApiHarness } from './api-harness.ts';

let api: ApiHarness;
let nginx: TestNginx;
let port: number;

beforeAll(async () => {
  api = await startApiHarness();
  const address = await api.listen();
  port = Number(address.split(':')[1]);
  nginx = await startNginx({ upstreams: [address] });
});

afterAll(async () => {
  await nginx?.stop();
  await api?.close();
});

/** Send raw bytes and read everything until the server closes (bounded by a deadline). */
function exchange(raw: string, to = port): Promise<{ status: number; headers: Map<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    // No half-close: nginx treats a client that ended its side as gone (499).
    const socket = connect(to, '127.0.0.1', () => socket.write(raw, 'latin1'));
    const chunks: Buffer[] = [];
    const deadline = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer within 5 s'));
    }, 5_000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(deadline);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = new Map(
        headerLines.map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
  });
}

describe('requests the HTTP parser refuses', () => {
  it.each([
    [
      'a control character in User-Agent',
      'GET /health HTTP/1.1\r\nHost: api\r\nUser-Agent: evil\u0001agent\r\n\r\n',
      /character HTTP does not allow/,
    ],
    [
      'a control character in Idempotency-Key',
      'POST /api/v1/tasks HTTP/1.1\r\nHost: api\r\nIdempotency-Key: k\u0007ey\r\nContent-Length: 0\r\n\r\n',
      /character HTTP does not allow/,
    ],
    ['the method FOO', 'FOO /health HTTP/1.1\r\nHost: api\r\n\r\n', /method/],
    ['bytes that are not HTTP', '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\r\n\r\n', /method/],
  ])('answers %s with the API error body, a correlation id and a log line', async (_name, raw, reason) => {
    const answer = await exchange(raw);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    const error = (JSON.parse(answer.body) as { error: Record<string, string> }).error;
    expect(error.code).toBe('DTQ_ERR_API_BAD_REQUEST');
    expect(error.message).toMatch(reason);
    expect(error.correlation_id).toMatch(CORRELATION_ID_PATTERN);
    expect(answer.headers.get('x-request-id')).toBe(error.correlation_id);
    const line = await waitFor('the log line of the refused request', () =>
      api.lines().find((l) => l[F.CORRELATION_ID] === error.correlation_id),
    );
    expect(line).toMatchObject({
      [F.EVENT_ACTION]: EVENTS.HTTP_REQUEST_COMPLETED,
      [F.HTTP_STATUS]: 400,
      [F.EVENT_OUTCOME]: 'failure',
      [F.ERROR_CODE]: 'DTQ_ERR_API_BAD_REQUEST',
      [F.CLIENT_ADDRESS]: '127.0.0.1',
    });
  });

  it('answers headers over the API’s own limit with 431 in the same shape', async () => {
    const raw = `GET /health HTTP/1.1\r\nHost: api\r\n${Array.from({ length: 12 }, (_, i) => `X-Pad-${i}: ${'p'.repeat(7000)}\r\n`).join('')}\r\n`;
    const answer = await exchange(raw);
    expect(answer.status).toBe(431);
    const error = (JSON.parse(answer.body) as { error: Record<string, string> }).error;
    expect(error.code).toBe('DTQ_ERR_API_HEADER_TOO_LARGE');
    expect(answer.headers.get('x-request-id')).toBe(error.correlation_id);
  });

  it('delivers the whole answer to a client that reads only after sending its large body (no reset)', async () => {
    // As nginx and most clients do: send the whole request, then read. A server that closes with
    // request bytes unread resets the connection, and the client's next write fails before it
    // ever reads the answer.
    const chunk = Buffer.alloc(64 * 1024, 'b');
    const chunks = 64;
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const received: Buffer[] = [];
      socket.pause();
      socket.on('data', (data) => received.push(data));
      socket.on('error', reject);
      socket.on('close', () => resolve(Buffer.concat(received).toString('utf8')));
      const send = (left: number): void => {
        if (left === 0) {
          socket.resume();
          return;
        }
        socket.write(chunk, (error) => (error ? reject(error) : send(left - 1)));
      };
      socket.write(
        'POST /api/v1/tasks HTTP/1.1\r\nHost: api\r\nUser-Agent: evil\u0001agent\r\n' +
          `Content-Type: application/json\r\nContent-Length: ${chunk.length * chunks}\r\n\r\n`,
        (error) => (error ? reject(error) : send(chunks)),
      );
    });
    const [head = '', body = ''] = text.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    const error = (JSON.parse(body) as { error: Record<string, string> }).error;
    expect(error.code).toBe('DTQ_ERR_API_BAD_REQUEST');
    expect(head).toContain(`x-request-id: ${error.correlation_id}`);
  });

  it('keeps a valid X-Request-ID sent before the bad header', async () => {
    const answer = await exchange(
      'GET /health HTTP/1.1\r\nHost: api\r\nX-Request-ID: client-id-7\r\nUser-Agent: a\u0001b\r\n\r\n',
    );
    expect(answer.status).toBe(400);
    expect(answer.headers.get('x-request-id')).toBe('client-id-7');
    expect(JSON.parse(answer.body).error.correlation_id).toBe('client-id-7');
  });

  it('through nginx: the answer, nginx’s header and both log lines share nginx’s correlation id', async () => {
    const answer = await exchange(
      'GET /health HTTP/1.1\r\nHost: api\r\nUser-Agent: evil\u0001agent\r\nConnection: close\r\n\r\n',
      nginx.port,
    );
    expect(answer.status).toBe(400);
    const error = (JSON.parse(answer.body) as { error: Record<string, string> }).error;
    expect(error.code).toBe('DTQ_ERR_API_BAD_REQUEST');
    expect(answer.headers.get('x-request-id')).toBe(error.correlation_id);
    const [access] = await nginx.accessLines(
      'the access line',
      (line) => line[F.CORRELATION_ID] === error.correlation_id,
    );
    expect(access?.[F.HTTP_STATUS]).toBe('400');
    const apiLine = await waitFor('the API line', () =>
      api.lines().find((l) => l[F.CORRELATION_ID] === error.correlation_id),
    );
    expect(apiLine[F.ERROR_CODE]).toBe('DTQ_ERR_API_BAD_REQUEST');
    // A client-caused 400 does not take the instance out of rotation.
    expect((await fetch(`${nginx.url}/health`)).status).toBe(200);
  });

  it('keeps serving ordinary requests afterwards', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    expect(response.status).toBe(200);
  });
});
