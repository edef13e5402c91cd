/**
 * Slow and greedy clients at the nginx door: connections that dribble their headers are closed
 * by the header timeout without starving anyone else; a client over its connection or rate
 * limit gets the JSON 503 or 429 with Retry-After. Bounded: 20 slow sockets for 3 s, a handful
 * of requests over each limit, loopback only.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import { type ApiHarness, addSlowStreamRoute, SLOW_STREAM_PATH, startApiHarness } from '../api/api-harness.ts';
import { startNginx, type TestNginx } from '../utils/nginx.ts';

let api: ApiHarness;
let upstream: string;
const started: TestNginx[] = [];

beforeAll(async () => {
  api = await startApiHarness({}, { extend: addSlowStreamRoute });
  upstream = await api.listen();
});

afterAll(async () => {
  await Promise.all(started.map((nginx) => nginx.stop()));
  await api?.close();
});

async function nginxWith(options: Omit<Parameters<typeof startNginx>[0], 'upstreams'>): Promise<TestNginx> {
  const nginx = await startNginx({ upstreams: [upstream], ...options });
  started.push(nginx);
  return nginx;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ErrorAnswer {
  status: number;
  retryAfter: string | null;
  requestId: string | null;
  error?: { code: string; message: string; correlation_id: string };
}

async function answerOf(response: Response): Promise<ErrorAnswer> {
  const text = await response.text();
  const answer: ErrorAnswer = {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    requestId: response.headers.get('x-request-id'),
  };
  if (response.status >= 400) {
    expect(response.headers.get('content-type')).toBe('application/json');
    answer.error = (JSON.parse(text) as { error: ErrorAnswer['error'] }).error;
    expect(answer.error?.correlation_id).toBe(answer.requestId);
  }
  return answer;
}

const SLOW_SOCKETS = 20;
const DRIBBLE_MS = 200;
const DRIBBLE_FOR_MS = 3000;

/** A slowloris client: a request line, then one header byte every 200 ms for 3 s; resolves with how long the connection lived. */
function slowloris(port: number): Promise<{ livedMs: number; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const openedAt = Date.now();
    const socket: Socket = connect(port, '127.0.0.1');
    let closedByServer = true;
    socket.on('error', () => {});
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    const timer = setInterval(() => {
      if (Date.now() - openedAt >= DRIBBLE_FOR_MS) {
        closedByServer = false;
        socket.destroy();
        return;
      }
      if (!socket.destroyed) socket.write('a');
    }, DRIBBLE_MS);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ livedMs: Date.now() - openedAt, closedByServer });
    });
  });
}

describe('slow clients', () => {
  it('closes connections that dribble their headers at the header timeout, while normal requests are answered', async () => {
    const nginx = await nginxWith({ clientHeaderTimeoutS: 1, workerConnections: 64 });
    const attack = Promise.all(Array.from({ length: SLOW_SOCKETS }, () => slowloris(nginx.port)));
    const normal: number[] = [];
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline) {
      const response = await fetch(`${nginx.url}/health`);
      await response.arrayBuffer();
      normal.push(response.status);
      await sleep(50);
    }
    const slow = await attack;
    expect(normal.length).toBeGreaterThan(0);
    expect(normal.every((status) => status === 200)).toBe(true);
    for (const socket of slow) {
      // Closed by nginx at the 1 s header timeout, although it kept sending a byte every 200 ms.
      expect(socket.closedByServer).toBe(true);
      expect(socket.livedMs).toBeLessThan(DRIBBLE_FOR_MS);
    }
    // nginx logs each as a 408 (it never answers a timed-out client).
    const timedOut = await nginx.accessLines('the slow clients', (line) => line[F.HTTP_STATUS] === '408', SLOW_SOCKETS);
    expect(timedOut).toHaveLength(SLOW_SOCKETS);
  });

  it('refuses requests over the per-address connection limit with the JSON 503 and Retry-After', async () => {
    const nginx = await nginxWith({ limitConn: 3, limitExempt: [], retryAfterS: 3 });
    // Each accepted request holds its connection for the stream's 2 s, so at most 3 fit.
    const answers = await Promise.all(
      Array.from({ length: 8 }, async (_, i) =>
        answerOf(await fetch(`${nginx.url}${SLOW_STREAM_PATH}`, { headers: { 'x-request-id': `flood-${i}` } })),
      ),
    );
    const accepted = answers.filter((answer) => answer.status === 200);
    const refused = answers.filter((answer) => answer.status !== 200);
    expect(accepted).toHaveLength(3);
    expect(refused).toHaveLength(5);
    for (const answer of refused) {
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toBe('3');
      expect(answer.error?.code).toBe('DTQ_ERR_NGINX_TOO_MANY_CONNECTIONS');
      expect(answer.error?.message).toContain('More than 3 requests');
      expect(answer.error?.correlation_id).toMatch(/^flood-\d$/);
    }
    await nginx.accessLines('the refused requests', (line) => line[F.HTTP_STATUS] === '503', 5);
    // Once the flood is answered, the same client is served again.
    expect((await fetch(`${nginx.url}/health`)).status).toBe(200);
  });

  it('refuses requests over the per-address rate and burst with the JSON 429 and Retry-After', async () => {
    const nginx = await nginxWith({ rate: 2, burst: 3, limitExempt: [] });
    const answers = await Promise.all(
      Array.from({ length: 12 }, async () => answerOf(await fetch(`${nginx.url}/health`))),
    );
    const accepted = answers.filter((answer) => answer.status === 200);
    const refused = answers.filter((answer) => answer.status !== 200);
    // 1 + a burst of 3 at once, plus what the 2 r/s rate frees while they arrive.
    expect(accepted.length).toBeGreaterThanOrEqual(4);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) {
      expect(answer.status).toBe(429);
      expect(answer.retryAfter).toBe('2');
      expect(answer.error?.code).toBe('DTQ_ERR_NGINX_RATE_LIMITED');
    }
  });

  it('leaves exempt addresses (loopback by default) out of the limits', async () => {
    const nginx = await nginxWith({ rate: 2, burst: 3, limitConn: 1 });
    const statuses = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const response = await fetch(`${nginx.url}/health`);
        await response.arrayBuffer();
        return response.status;
      }),
    );
    expect(statuses).toEqual(Array(12).fill(200));
  });
});
