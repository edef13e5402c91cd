/**
 * Oversized headers never take the APIs out of rotation. An API accepts whatever header size
 * nginx forwards (its limit is at least nginx's 4 × 8 KiB budget) and nginx refuses more itself,
 * so no API answers a bare 431 and resets the connection, which nginx would count as a failed
 * instance (max_fails) and answer 502 to everybody. The same holds for a request an API's
 * parser refuses: no client can take an instance out.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import { type ApiHarness, startApiHarness } from '../api/api-harness.ts';
import { startNginx, type TestNginx } from '../utils/nginx.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';

let redis: TestRedis;
let apis: ApiHarness[] = [];
let nginx: TestNginx;

beforeAll(async () => {
  redis = await startRedis();
  apis = await Promise.all(['api-1', 'api-2', 'api-3'].map((instance) => startApiHarness({ instance }, { redis })));
  // The defaults (max_fails 2, fail_timeout 5 s): what the stack and compose run.
  nginx = await startNginx({ upstreams: await Promise.all(apis.map((api) => api.listen())) });
});

afterAll(async () => {
  await nginx?.stop();
  await Promise.all(apis.map((api) => api.close()));
  await redis?.close();
});

/** `count` header lines of `size` bytes each (every line under nginx's 8 KiB). */
function padding(count: number, size: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-pad-${i}`, 'p'.repeat(size)]));
}

/** nginx's own error log: where it says it took an instance out of rotation. */
function errorLog(): string {
  return readFileSync(join(dirname(nginx.configPath), 'error.log'), 'utf8');
}

/** Send raw bytes (a request no HTTP client library would send); resolves with the status line. */
function sendRaw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(nginx.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer.split('\r\n', 1)[0] ?? ''));
    socket.write(request);
  });
}

const BURST = 40;
const LEGITIMATE = 60;

describe('oversized headers through nginx', () => {
  it('serves every legitimate request during a burst of oversized-header requests, and refuses the oversized ones with the JSON 431', async () => {
    // 20 KiB in all (between Node's default 16 KiB and nginx's 32 KiB): the attack.
    const between = padding(4, 5 * 1024);
    // 35 KiB in all: over nginx's budget.
    const over = padding(5, 7 * 1024);
    const attacks = Array.from({ length: BURST }, async (_, i) => {
      const id = `oversized-${i}`;
      const response = await fetch(`${nginx.url}/health`, {
        headers: { 'x-request-id': id, ...(i % 2 === 0 ? between : over) },
      });
      const body = (await response.json()) as { error?: { code: string; correlation_id: string } };
      return { i, id, status: response.status, header: response.headers.get('x-request-id'), body };
    });
    const legitimate = Array.from({ length: LEGITIMATE }, async () => {
      const response = await fetch(`${nginx.url}/health`);
      await response.arrayBuffer();
      return response.status;
    });
    const [attacked, served] = await Promise.all([Promise.all(attacks), Promise.all(legitimate)]);

    expect(served).toEqual(Array(LEGITIMATE).fill(200));
    for (const answer of attacked) {
      if (answer.i % 2 === 0) {
        // Within nginx's budget: an API takes it like any request.
        expect(answer.status, answer.id).toBe(200);
      } else {
        expect(answer.status, answer.id).toBe(431);
        expect(answer.header).toBe(answer.id);
        expect(answer.body.error).toMatchObject({ code: 'DTQ_ERR_API_HEADER_TOO_LARGE', correlation_id: answer.id });
      }
    }

    // No instance was counted as failed: nothing answered 502, and nginx never disabled one.
    const lines = await nginx.accessLines('every request', () => true, BURST + LEGITIMATE);
    expect(lines.filter((line) => line[F.HTTP_STATUS] === '502')).toEqual([]);
    for (const line of lines) expect(String(line[F.NGINX_UPSTREAM_STATUS] ?? '')).not.toMatch(/50\d/);
    expect(errorLog()).not.toMatch(/temporarily disabled|no live upstreams|reset by peer|prematurely closed/);
  });

  it("serves every legitimate request while an API's parser refuses a burst of large requests", async () => {
    // A control character in a header passes nginx; Node refuses it with a 400 and closes
    // with the 1 MB body unread (a reset). nginx has the answer's header by then, so the
    // instance is not counted as failed.
    const body = `{"x":"${'a'.repeat(1_000_000)}"}`;
    const refused = Array.from({ length: 20 }, () =>
      sendRaw(
        `POST /api/v1/tasks HTTP/1.1\r\nHost: x\r\nUser-Agent: a\x01b\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      ),
    );
    const legitimate = Array.from({ length: LEGITIMATE }, async () => {
      const response = await fetch(`${nginx.url}/health`);
      await response.arrayBuffer();
      return response.status;
    });
    const [statusLines, served] = await Promise.all([Promise.all(refused), Promise.all(legitimate)]);
    expect(served).toEqual(Array(LEGITIMATE).fill(200));
    expect(statusLines).toEqual(Array(20).fill('HTTP/1.1 400 Bad Request'));
    expect(errorLog()).not.toMatch(/temporarily disabled|no live upstreams/);
  });

  it('still answers from all three instances after the bursts', async () => {
    const instances = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${nginx.url}/health`);
      expect(response.status).toBe(200);
      instances.add(((await response.json()) as { instance: string }).instance);
    }
    expect(instances).toEqual(new Set(['api-1', 'api-2', 'api-3']));
  });
});
