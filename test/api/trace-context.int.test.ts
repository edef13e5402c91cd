/**
 * The API's span of each request: a child of the caller's when its traceparent is valid, else
 * the root of a trace of its own (a direct call). Every line of the request carries trace.id,
 * span.id and (with a caller) parent.id; the job carries the API span as its traceparent; the
 * completion line names the task the request created. A hostile traceparent is never logged.
 */
import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTraceparent } from '../../contract/trace-context.ts';
import { EVENTS, F, type LogRecord } from '../../contract/vocabulary.ts';
import { urlTarget } from '../../workload/queue/redis-target.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';
import { type ApiHarness, startApiHarness } from './api-harness.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER = '00f067aa0ba902b7';

let redis: TestRedis;
let api: ApiHarness;

beforeAll(async () => {
  redis = await startRedis();
  // With redisTarget the idempotency layer is live: its lines are the request's lines too.
  api = await startApiHarness({ redisTarget: urlTarget(redis.url) }, { redis });
});

afterAll(async () => {
  await api?.close();
  await redis?.close();
});

/** The request's lines once its completion line is written. */
function linesOf(cid: string): Promise<LogRecord[]> {
  return waitFor(`the lines of ${cid}`, () => {
    const lines = api.lines().filter((line) => line[F.CORRELATION_ID] === cid);
    return lines.some((line) => line[F.EVENT_ACTION] === EVENTS.HTTP_REQUEST_COMPLETED) ? lines : undefined;
  });
}

describe('trace context in the API', () => {
  it("continues the caller's trace: every line carries its trace id, one span of the API's, and the caller as parent", async () => {
    const answer = await api.postTask({
      headers: { 'x-request-id': 'tc-child', traceparent: `00-${TRACE}-${CALLER}-01`, 'idempotency-key': 'tc-1' },
    });
    expect(answer.statusCode).toBe(202);
    const taskId = (answer.json() as { task_id: string }).task_id;
    const lines = await linesOf('tc-child');
    expect(lines.map((line) => line[F.EVENT_ACTION])).toEqual([
      EVENTS.HTTP_REQUEST_RECEIVED,
      EVENTS.IDEMPOTENCY_CLAIMED,
      EVENTS.TASK_ENQUEUED,
      EVENTS.HTTP_REQUEST_COMPLETED,
    ]);
    const span = lines[0]?.[F.SPAN_ID] as string;
    expect(span).toMatch(/^[0-9a-f]{16}$/);
    expect(span).not.toBe(CALLER);
    for (const line of lines)
      expect([line[F.TRACE_ID], line[F.SPAN_ID], line[F.PARENT_ID]], String(line[F.EVENT_ACTION])).toEqual([
        TRACE,
        span,
        CALLER,
      ]);
    expect(lines.at(-1)?.[F.TASK_ID]).toBe(taskId);

    const job = await api.inspect('high').getJob(taskId);
    expect(job?.data.traceparent).toBe(`00-${TRACE}-${span}-01`);
    expect(parseTraceparent(job?.data.traceparent)).toEqual({ traceId: TRACE, parentId: span, flags: '01' });
  });

  it('starts a trace of its own for a direct call without traceparent, and logs no parent', async () => {
    const answer = await api.postTask({ headers: { 'x-request-id': 'tc-direct' } });
    const lines = await linesOf('tc-direct');
    const trace = lines[0]?.[F.TRACE_ID];
    expect(trace).toMatch(/^[0-9a-f]{32}$/);
    for (const line of lines) {
      expect(line[F.TRACE_ID]).toBe(trace);
      expect(line[F.SPAN_ID]).toBe(lines[0]?.[F.SPAN_ID]);
      expect(line).not.toHaveProperty(F.PARENT_ID);
    }
    const job = await api.inspect('high').getJob((answer.json() as { task_id: string }).task_id);
    expect(job?.data.traceparent).toBe(`00-${trace}-${lines[0]?.[F.SPAN_ID]}-01`);
  });

  it('gives two requests with the same traceparent and correlation id two spans', async () => {
    const headers = { 'x-request-id': 'tc-same', traceparent: `00-${TRACE}-${CALLER}-01` };
    await Promise.all([api.postTask({ headers }), api.postTask({ headers })]);
    const lines = await waitFor('both requests', () => {
      const found = api
        .lines()
        .filter(
          (line) => line[F.CORRELATION_ID] === 'tc-same' && line[F.EVENT_ACTION] === EVENTS.HTTP_REQUEST_COMPLETED,
        );
      return found.length === 2 ? found : undefined;
    });
    expect(new Set(lines.map((line) => line[F.SPAN_ID])).size).toBe(2);
    expect(new Set(lines.map((line) => line[F.TASK_ID])).size).toBe(2);
  });

  it('carries the span on the lines of a refused request and of a status read', async () => {
    const refused = await api.postTask({
      headers: { 'x-request-id': 'tc-refused', traceparent: `00-${TRACE}-${CALLER}-01` },
      payload: { task_type: 'nope' },
    });
    expect(refused.statusCode).toBe(400);
    const refusedLines = await linesOf('tc-refused');
    expect(refusedLines.at(-1)).toMatchObject({ [F.TRACE_ID]: TRACE, [F.PARENT_ID]: CALLER });
    expect(refusedLines.at(-1)?.[F.ERROR_CODE]).toMatch(/^DTQ_ERR_/);
    expect(refusedLines.at(-1)).not.toHaveProperty(F.TASK_ID);

    const created = (await api.postTask({ headers: { 'x-request-id': 'tc-origin' } })).json() as { task_id: string };
    await api.app.inject({
      method: 'GET',
      url: `/api/v1/tasks/${created.task_id}`,
      headers: { 'x-request-id': 'tc-poll', traceparent: `00-${TRACE}-${CALLER}-01` },
    });
    const poll = await linesOf('tc-poll');
    expect(poll.map((line) => line[F.EVENT_ACTION])).toEqual([
      EVENTS.HTTP_REQUEST_RECEIVED,
      EVENTS.TASK_STATUS_READ,
      EVENTS.HTTP_REQUEST_COMPLETED,
    ]);
    for (const line of poll) expect(line).toMatchObject({ [F.TRACE_ID]: TRACE, [F.PARENT_ID]: CALLER });
    expect(poll.at(-1)?.[F.TASK_ID]).toBe(created.task_id);
  });

  it("carries the caller's trace on the line of a request Node's parser refused", async () => {
    const [host, port] = (await api.listen()).split(':') as [string, string];
    const socket = createConnection({ host, port: Number(port) });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `GET /health HTTP/1.1\r\nHost: dtq\r\nX-Request-ID: tc-unparsable\r\ntraceparent: 00-${TRACE}-${CALLER}-01\r\n` +
        'Bad\u0001Header: x\r\n\r\n',
      'latin1',
    );
    const [line] = await waitFor('the refusal line', () => {
      const found = api.lines().filter((l) => l[F.CORRELATION_ID] === 'tc-unparsable');
      return found.length > 0 ? found : undefined;
    });
    socket.destroy();
    expect(line).toMatchObject({
      [F.EVENT_ACTION]: EVENTS.HTTP_REQUEST_COMPLETED,
      [F.HTTP_STATUS]: 400,
      [F.TRACE_ID]: TRACE,
      [F.PARENT_ID]: CALLER,
    });
    expect(line?.[F.SPAN_ID]).toMatch(/^[0-9a-f]{16}$/);
  });

  it.each([
    ['uppercase', `00-${TRACE.toUpperCase()}-${CALLER}-01`],
    ['version ff', `ff-${TRACE}-${CALLER}-01`],
    ['quotes and braces', `00-${TRACE}-${CALLER}-01"},{"injected":"1`],
    ['too long', `00-${TRACE}-${CALLER}-01${'a'.repeat(600)}`],
  ])('starts a trace of its own for a traceparent with %s and never logs the value', async (name, hostile) => {
    const cid = `tc-hostile-${name.replaceAll(' ', '-')}`;
    await api.postTask({ headers: { 'x-request-id': cid, traceparent: hostile } });
    const lines = await linesOf(cid);
    for (const line of lines) {
      expect(line[F.TRACE_ID]).not.toBe(TRACE);
      expect(line[F.TRACE_ID]).toMatch(/^[0-9a-f]{32}$/);
      expect(line).not.toHaveProperty(F.PARENT_ID);
    }
    expect(api.rawLog()).not.toContain(hostile);
    expect(api.rawLog()).not.toContain(JSON.stringify(hostile).slice(1, -1));
  });
});
