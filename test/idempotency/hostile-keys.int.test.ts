/**
 * Issue 3, test 9 (the Idempotency-Key part): malformed, oversized and non-ASCII keys sent as
 * raw bytes through real nginx and straight to a real API process. Each is refused with a
 * status that says so; none stores a record or creates a job; the service keeps working.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiCluster, startApiCluster } from './api-cluster.ts';
import { JobCounter, postTask, VAR_BODY } from './e2e-helpers.ts';

let cluster: ApiCluster;
let jobs: JobCounter;

beforeAll(async () => {
  cluster = await startApiCluster(1, {}, { nginx: true });
  jobs = new JobCounter(cluster.redis.url);
});
afterAll(async () => {
  await jobs?.close();
  await cluster?.close();
});

/**
 * Send one POST with the Idempotency-Key header value as raw bytes; resolve status and body.
 * Status 0 means the server reset the connection without an answer (Node does so, after a 431,
 * while the client is still sending an oversized header).
 */
function rawPost(baseUrl: string, keyBytes: Buffer): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  const body = Buffer.from(JSON.stringify(VAR_BODY));
  const head = Buffer.from(
    `POST /api/v1/tasks HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\nIdempotency-Key: `,
    'latin1',
  );
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    // write, not end: nginx takes a half-closed client for one that went away (499).
    socket.write(Buffer.concat([head, keyBytes, Buffer.from('\r\n\r\n', 'latin1'), body]));
  });
}

const CASES: readonly [string, Buffer, number][] = [
  ['256 characters', Buffer.from('k'.repeat(256)), 400],
  ['UTF-8 bytes (unicode key)', Buffer.from('clé-ключ-🔑', 'utf8'), 400],
  ['a control character (0x01)', Buffer.from('abc\x01def', 'latin1'), 400],
  ['an escape sequence (0x1b)', Buffer.from('abc\x1b[31mred', 'latin1'), 400],
  ['a 100 KB value', Buffer.from('k'.repeat(100 * 1024)), 431],
];

describe('hostile Idempotency-Key values', () => {
  for (const [front, pick] of [
    ['through nginx', () => cluster.url],
    ['straight to the API', () => (cluster.apis[0] as { url: string }).url],
  ] as const) {
    for (const [name, bytes, status] of CASES) {
      it(`refuses ${name} ${front} with ${status} and stores nothing`, async () => {
        const answer = await rawPost(pick(), bytes);
        if (status === 431 && answer.status === 0) expect(front).toBe('straight to the API');
        else expect(answer.status).toBe(status);
        if (answer.body.includes('DTQ_ERR_IDEMPOTENCY')) {
          expect(answer.body).toContain('DTQ_ERR_IDEMPOTENCY_KEY_INVALID');
          // The refused value is never echoed back.
          expect(answer.body).not.toContain('kkkkkkkk');
          expect(answer.body).not.toContain('\x1b');
        }
        expect(await jobs.redis.keys('dtq:idem:*')).toEqual([]);
        expect(await jobs.total()).toBe(0);
      });
    }
  }

  it('answers the key errors of the plugin itself in the API error shape', async () => {
    const answer = await rawPost(cluster.url, Buffer.from('clé', 'utf8'));
    expect(JSON.parse(answer.body)).toMatchObject({
      error: { code: 'DTQ_ERR_IDEMPOTENCY_KEY_INVALID', correlation_id: expect.any(String) },
    });
  });

  it('stores nothing for a body the API refuses, so the same key then works with a corrected body', async () => {
    const key = 'key-of-a-refused-body';
    const refused = await postTask(cluster.url, key, { ...VAR_BODY, task_type: 'no_such_task' });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body.toString()).error.code).toBe('DTQ_ERR_API_UNKNOWN_TASK_TYPE');
    expect(await jobs.redis.keys('dtq:idem:*')).toEqual([]);
    const malformed = await fetch(`${cluster.url}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: '{"task_type": ',
    });
    expect(malformed.status).toBe(400);
    expect(await jobs.redis.keys('dtq:idem:*')).toEqual([]);
    expect(await jobs.total()).toBe(0);
    const ok = await postTask(cluster.url, key);
    expect(ok.status).toBe(202);
    expect(ok.headers.get('idempotent-replayed')).toBeNull();
    expect(await jobs.total()).toBe(1);
  });
});
