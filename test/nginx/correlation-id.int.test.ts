/**
 * Through a real nginx: a client's X-Request-ID reaches the access log, the API lines and the
 * job unchanged; an absent one is generated once (by nginx) and is the same everywhere; a
 * hostile one is replaced everywhere and never written raw.
 */
import { request as httpRequest } from 'node:http';
import { createConnection } from 'node:net';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F, type LogRecord, normalizeNginxLine } from '../../contract/vocabulary.ts';
import { urlTarget } from '../../workload/queue/redis-target.ts';
import { type ApiHarness, EXAMPLE_BODY, startApiHarness } from '../api/api-harness.ts';
import { startNginx, type TestNginx } from '../utils/nginx.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';

let redis: TestRedis;
let api: ApiHarness;
let nginx: TestNginx;
let upstream: string;

beforeAll(async () => {
  redis = await startRedis();
  // With redisTarget the idempotency layer is live, so replays go through nginx too.
  api = await startApiHarness({ instance: 'api-1', redisTarget: urlTarget(redis.url) }, { redis });
  upstream = await api.listen();
  nginx = await startNginx({ upstreams: [upstream] });
});

afterAll(async () => {
  await nginx?.stop();
  await api?.close();
  await redis?.close();
});

/**
 * POST the example through nginx. node:http rather than fetch, which refuses some of the
 * hostile values; header strings are written as latin1, so UTF-8 text goes out as its bytes.
 */
function post(
  headers: Record<string, string>,
): Promise<{ status: number; requestId: string; body: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: nginx.port, method: 'POST', path: '/api/v1/tasks' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          requestId: String(res.headers['x-request-id']),
          body: JSON.parse(text),
        }),
      );
    });
    req.on('error', reject);
    req.setHeader('content-type', 'application/json');
    for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
    req.end(EXAMPLE_BODY);
  });
}

/**
 * The request's trail once it is complete (nginx and the API write their last line after the
 * answer has left): the one access-log line, the API's three lines and the job's id.
 */
async function trail(correlationId: string, taskId: string) {
  const ofRequest = (line: LogRecord) => line[F.CORRELATION_ID] === correlationId;
  const [access] = await nginx.accessLines(correlationId, ofRequest);
  const apiLines = await waitFor('the API lines of the request', () => {
    const lines = api.lines().filter(ofRequest);
    return lines.some((line) => line[F.EVENT_ACTION] === EVENTS.HTTP_REQUEST_COMPLETED) ? lines : undefined;
  });
  expect(nginx.accessLog().filter(ofRequest)).toHaveLength(1);
  // Every line names the host it was written on, nginx's ($hostname) as the API's.
  for (const line of [access, ...apiLines]) expect(line?.[F.HOST_NAME]).toBe(hostname());
  expect(apiLines.map((line) => line[F.EVENT_ACTION])).toEqual([
    EVENTS.HTTP_REQUEST_RECEIVED,
    EVENTS.TASK_ENQUEUED,
    EVENTS.HTTP_REQUEST_COMPLETED,
  ]);
  const job = await api.inspect('high').getJob(taskId);
  expect(job?.data.correlation_id).toBe(correlationId);
  return access as LogRecord;
}

describe('correlation id through nginx', () => {
  it('keeps a client id unchanged in the access log, the API lines and the job', async () => {
    const { status, requestId, body } = await post({ 'X-Request-ID': 'ULTIMATE-SUCCESS-123' });
    expect(status).toBe(202);
    expect(requestId).toBe('ULTIMATE-SUCCESS-123');
    expect(body.correlation_id).toBe('ULTIMATE-SUCCESS-123');
    const access = await trail('ULTIMATE-SUCCESS-123', body.task_id as string);
    expect(access).toMatchObject({
      [F.HTTP_STATUS]: '202',
      [F.URL_PATH]: '/api/v1/tasks',
      [F.HTTP_METHOD]: 'POST',
      [F.NGINX_UPSTREAM_ADDRESS]: upstream,
      [F.TASK_ID]: body.task_id,
    });

    // The shipper and explorer normalise nginx's strings to the common shape.
    const normalized = normalizeNginxLine(access);
    expect(normalized[F.HTTP_STATUS]).toBe(202);
    expect(normalized[F.EVENT_DURATION]).toBeTypeOf('number');
    expect(normalized[F.TIMESTAMP]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('writes the task id of status reads, and no task_id field on lines without a task', async () => {
    const { body } = await post({ 'X-Request-ID': 'created-for-poll' });
    const get = (path: string, id: string) => fetch(`${nginx.url}${path}`, { headers: { 'x-request-id': id } });
    expect((await get(`/api/v1/tasks/${body.task_id}`, 'poll-1')).status).toBe(200);
    // "0" is a valid task id, and also what nginx's `access_log if=` treats as false.
    expect((await get('/api/v1/tasks/0', 'poll-zero')).status).toBe(404);
    expect((await get('/health', 'no-task-1')).status).toBe(200);
    expect((await get('/api/v1/tasks/has:colon', 'bad-task-id')).status).toBe(400);
    const lineOf = async (id: string) =>
      (await nginx.accessLines(id, (line) => line[F.CORRELATION_ID] === id))[0] as LogRecord;
    expect((await lineOf('poll-1'))[F.TASK_ID]).toBe(body.task_id);
    expect((await lineOf('poll-zero'))[F.TASK_ID]).toBe('0');
    expect(await lineOf('no-task-1')).not.toHaveProperty(F.TASK_ID);
    expect(await lineOf('bad-task-id')).not.toHaveProperty(F.TASK_ID);
    expect(nginx.accessLog().filter((line) => line[F.CORRELATION_ID] === 'poll-1')).toHaveLength(1);
  });

  it('leaves task_id off a replayed answer, which names the first request’s task', async () => {
    const first = await post({ 'X-Request-ID': 'keyed-first', 'Idempotency-Key': 'nginx-replay-1' });
    const replay = await post({ 'X-Request-ID': 'keyed-replay', 'Idempotency-Key': 'nginx-replay-1' });
    expect(first.status).toBe(202);
    expect(replay).toMatchObject({ status: 202, body: { task_id: first.body.task_id } });
    const lineOf = async (id: string) =>
      (await nginx.accessLines(id, (line) => line[F.CORRELATION_ID] === id))[0] as LogRecord;
    expect((await lineOf('keyed-first'))[F.TASK_ID]).toBe(first.body.task_id);
    expect(await lineOf('keyed-replay')).not.toHaveProperty(F.TASK_ID);
  });

  it('generates one id when none is sent and uses it everywhere', async () => {
    const { status, requestId, body } = await post({});
    expect(status).toBe(202);
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(body.correlation_id).toBe(requestId);
    await trail(requestId, body.task_id as string);
  });

  it.each([
    ['129 characters', 'x'.repeat(129)],
    ['quotes and braces', 'abc"},{"injected":"1'],
    ['non-ASCII (UTF-8 bytes)', Buffer.from('caf\u00e9-\u2603', 'utf8').toString('latin1')],
    ['a tab and a backslash', 'a\tb\\c'],
  ])('replaces a hostile id (%s) everywhere and never logs it raw', async (_name, hostile) => {
    const { status, requestId, body } = await post({ 'X-Request-ID': hostile });
    expect(status).toBe(202);
    expect(requestId).not.toBe(hostile);
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(body.correlation_id).toBe(requestId);
    await trail(requestId, body.task_id as string);
    // Neither the raw value nor its JSON-escaped form may appear in any log.
    for (const form of [
      hostile,
      JSON.stringify(hostile).slice(1, -1),
      Buffer.from(hostile, 'latin1').toString('utf8'),
    ]) {
      expect(nginx.rawAccessLog()).not.toContain(form);
      expect(api.rawLog()).not.toContain(form);
    }
  });

  /** Send a GET with raw header bytes no HTTP client library would produce. */
  function rawGet(requestId: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ port: nginx.port, host: '127.0.0.1' }, () => {
        // write, not end: a half-closed client is one nginx may stop answering.
        socket.write(
          `GET /health HTTP/1.1\r\nHost: dtq\r\nX-Request-ID: ${requestId}\r\nConnection: close\r\n\r\n`,
          'latin1',
        );
      });
      let answer = '';
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString('latin1');
      });
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });
  }

  it.each([
    ['a bare CR', 'abc\rX-Injected: yes'],
    ['a NUL byte', 'abc\u0000def'],
  ])('refuses a header with %s at the door, in the API error format', async (_name, hostile) => {
    const before = api.lines().length;
    const answer = await rawGet(hostile);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    const [head, body] = answer.split('\r\n\r\n') as [string, string];
    const id = /X-Request-ID: ([0-9a-f]{32})(?:\r\n|$)/.exec(head)?.[1];
    expect(id).toBeDefined();
    expect(JSON.parse(body).error).toMatchObject({ code: 'DTQ_ERR_API_BAD_REQUEST', correlation_id: id });
    await nginx.accessLines(`the refusal ${id}`, (line) => line[F.CORRELATION_ID] === id);
    expect(api.lines().length).toBe(before);
    expect(nginx.rawAccessLog()).not.toContain('Injected');
  });

  it('replaces an id carrying a terminal escape sequence and never logs it', async () => {
    const answer = await rawGet('abc\u001b[31mred');
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    const id = /X-Request-ID: ([0-9a-f]{32})(?:\r\n|$)/.exec(answer)?.[1] as string;
    expect(id).toBeDefined();
    expect(api.lines().some((line) => line[F.CORRELATION_ID] === id)).toBe(true);
    await nginx.accessLines(id, (line) => line[F.CORRELATION_ID] === id);
    expect(nginx.rawAccessLog()).not.toContain('[31m');
    expect(api.rawLog()).not.toContain('[31m');
  });
});
