/**
 * Every error a client can cause at nginx answers in the API's error format with a correlation
 * id (X-Request-ID and the body's correlation_id) and is written to nginx's JSON access log.
 * Requests are sent as raw bytes: most of them are not something an HTTP client library sends.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import { type ApiHarness, startApiHarness } from '../api/api-harness.ts';
import { startNginx, type TestNginx } from '../utils/nginx.ts';

let api: ApiHarness;
let nginx: TestNginx;

beforeAll(async () => {
  api = await startApiHarness();
  nginx = await startNginx({ upstreams: [await api.listen()] });
});

afterAll(async () => {
  await nginx?.stop();
  await api?.close();
});

interface RawAnswer {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Send `request` as bytes and read the answer until nginx closes (every case here asks it to). */
function send(request: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(nginx.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(request.slice(0, 40))}`)));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = new Map(
        lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
    // No half-close: nginx takes a client's FIN while an API works as the client leaving (499).
    socket.write(request);
  });
}

/** The answer is the API's error format, its correlation id echoed; returns the error. */
function errorOf(answer: RawAnswer): { code: string; message: string; correlation_id: string } {
  expect(answer.headers.get('content-type')).toBe('application/json');
  const id = answer.headers.get('x-request-id');
  expect(id).toMatch(/^[0-9a-f]{32}$|^client-/);
  const body = JSON.parse(answer.body) as { error: { code: string; message: string; correlation_id: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.correlation_id).toBe(id);
  expect(body.error.message.length).toBeGreaterThan(20);
  return body.error;
}

const close = 'Host: x\r\nConnection: close\r\n\r\n';

const cases: ReadonlyArray<{ name: string; request: string; status: number; code: string }> = [
  {
    name: '%00 in the path',
    request: `GET /health%00 HTTP/1.1\r\n${close}`,
    status: 400,
    code: 'DTQ_ERR_API_BAD_REQUEST',
  },
  {
    name: '%zz in the path',
    request: `GET /api/v1/tasks/%zz HTTP/1.1\r\n${close}`,
    status: 400,
    code: 'DTQ_ERR_API_BAD_REQUEST',
  },
  {
    name: 'an HTTP/2 preface',
    request: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    status: 400,
    code: 'DTQ_ERR_API_BAD_REQUEST',
  },
  {
    name: 'CONNECT',
    request: 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    status: 400,
    code: 'DTQ_ERR_API_BAD_REQUEST',
  },
  { name: 'a line that is not HTTP', request: 'hello there\r\n\r\n', status: 400, code: 'DTQ_ERR_API_BAD_REQUEST' },
  {
    name: 'a NUL inside a header',
    request: `GET /health HTTP/1.1\r\nX-A: a\0b\r\n${close}`,
    status: 400,
    code: 'DTQ_ERR_API_BAD_REQUEST',
  },
  {
    name: 'a 9 KB path',
    request: `GET /${'a'.repeat(9 * 1024)} HTTP/1.1\r\n${close}`,
    status: 414,
    code: 'DTQ_ERR_NGINX_URI_TOO_LONG',
  },
  {
    name: 'HTTP/3.0 on the HTTP/1 port',
    request: `GET /health HTTP/3.0\r\n${close}`,
    status: 505,
    code: 'DTQ_ERR_NGINX_HTTP_VERSION_NOT_SUPPORTED',
  },
  {
    name: 'Transfer-Encoding: xchunked',
    request: `POST /api/v1/tasks HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n${close}`,
    status: 501,
    code: 'DTQ_ERR_NGINX_NOT_IMPLEMENTED',
  },
  {
    name: 'TRACE',
    request: `TRACE /health HTTP/1.1\r\n${close}`,
    status: 405,
    code: 'DTQ_ERR_NGINX_METHOD_NOT_ALLOWED',
  },
  {
    name: 'a method FOO',
    request: `FOO /health HTTP/1.1\r\n${close}`,
    status: 405,
    code: 'DTQ_ERR_NGINX_METHOD_NOT_ALLOWED',
  },
  {
    name: 'DELETE',
    request: `DELETE /api/v1/tasks/abc HTTP/1.1\r\n${close}`,
    status: 405,
    code: 'DTQ_ERR_NGINX_METHOD_NOT_ALLOWED',
  },
  {
    name: "an API's /metrics (scraped on the instance, not through the balancer)",
    request: `GET /metrics HTTP/1.1\r\n${close}`,
    status: 404,
    code: 'DTQ_ERR_API_ROUTE_NOT_FOUND',
  },
  {
    name: "one of nginx's internal error URIs",
    request: `GET /_dtq/error/400 HTTP/1.1\r\n${close}`,
    status: 404,
    code: 'DTQ_ERR_API_ROUTE_NOT_FOUND',
  },
  {
    name: 'a 40 KB header',
    request: `GET /health HTTP/1.1\r\n${'X-Pad: '.concat('p'.repeat(7000), '\r\n').repeat(6)}${close}`,
    status: 431,
    code: 'DTQ_ERR_API_HEADER_TOO_LARGE',
  },
];

describe("nginx's own errors", () => {
  for (const { name, request, status, code } of cases) {
    it(`answers ${name} with ${status} ${code}, a correlation id, and a log line`, async () => {
      const answer = await send(request);
      expect(answer.status).toBe(status);
      const error = errorOf(answer);
      expect(error.code).toBe(code);
      const [line] = await nginx.accessLines(name, (entry) => entry[F.CORRELATION_ID] === error.correlation_id);
      expect(line).toMatchObject({ [F.HTTP_STATUS]: String(status), [F.NGINX_UPSTREAM_ADDRESS]: '' });
      // The error URI a request was sent to is never logged as its path.
      expect(String(line?.[F.URL_PATH])).not.toMatch(/_dtq\/error/);
    });
  }

  it("keeps the client's X-Request-ID when nginx could read the headers", async () => {
    const answer = await send(`FOO /health HTTP/1.1\r\nX-Request-ID: client-foo-1\r\n${close}`);
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(errorOf(answer).correlation_id).toBe('client-foo-1');
    const [line] = await nginx.accessLines('FOO', (entry) => entry[F.CORRELATION_ID] === 'client-foo-1');
    expect(line).toMatchObject({ [F.HTTP_METHOD]: 'FOO', [F.URL_PATH]: '/health', [F.HTTP_STATUS]: '405' });
  });

  it('passes an HTTP/0.9 request on and answers it as HTTP/0.9 does: the body alone, no status line or headers to carry an id', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(nginx.port, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(text));
      socket.write('GET /health\r\n');
    });
    expect(JSON.parse(answer)).toMatchObject({ instance: api.instance });
    await nginx.accessLines(
      'the HTTP/0.9 request',
      (line) => line[F.HTTP_STATUS] === '200' && line[F.URL_PATH] === '/health',
    );
  });

  it('passes an HTTP/1.0 request without a Host header on to an API', async () => {
    const answer = await send('GET /health HTTP/1.0\r\n\r\n');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ instance: api.instance });
  });
});
