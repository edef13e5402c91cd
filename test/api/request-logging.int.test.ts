/**
 * The API's own request lines: a response the client cuts off is still logged as completed,
 * and no line ever carries Fastify's Request or Reply objects (whose raw headers hold
 * Authorization and Cookie, which no redaction path reaches).
 */
import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { waitFor } from '../utils/wait.ts';
import { type ApiHarness, addSlowStreamRoute, SLOW_STREAM_PATH, startApiHarness } from './api-harness.ts';

let api: ApiHarness;
let address: string;

beforeAll(async () => {
  api = await startApiHarness({}, { extend: addSlowStreamRoute });
  address = await api.listen();
});

afterAll(async () => {
  await api?.close();
});

describe('request logging', () => {
  it('logs a response the client cut off as completed, with no header in any line', async () => {
    const [host, port] = address.split(':') as [string, string];
    const socket = createConnection({ host, port: Number(port) });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `GET ${SLOW_STREAM_PATH} HTTP/1.1\r\nHost: dtq\r\nX-Request-ID: cut-off-1\r\n` +
        'Authorization: Bearer s3cret-token\r\nCookie: sid=s3cret-cookie\r\n\r\n',
    );
    await new Promise((resolve) => socket.once('data', resolve));
    socket.destroy();

    const completed = await waitFor('the completion line', () =>
      api
        .lines()
        .find(
          (line) => line[F.CORRELATION_ID] === 'cut-off-1' && line[F.EVENT_ACTION] === EVENTS.HTTP_REQUEST_COMPLETED,
        ),
    );
    expect(completed).toMatchObject({ [F.EVENT_OUTCOME]: 'failure', [F.LOG_LEVEL]: 'warn' });
    expect(completed[F.ERROR_MESSAGE]).toMatch(/premature close/i);
    const lines = api.lines().filter((line) => line[F.CORRELATION_ID] === 'cut-off-1');
    expect(lines.map((line) => line[F.EVENT_ACTION])).toEqual([
      EVENTS.HTTP_REQUEST_RECEIVED,
      EVENTS.HTTP_REQUEST_COMPLETED,
    ]);
    expect(api.rawLog()).not.toContain('s3cret');
  });

  it('puts the polled task id on the request lines of a status read, so a trace by task id finds them', async () => {
    const posted = await api.postTask({
      headers: { 'content-type': 'application/json', 'x-request-id': 'poll-origin-1' },
    });
    const taskId = (posted.json() as { task_id: string }).task_id;
    const answer = await api.app.inject({
      method: 'GET',
      url: `/api/v1/tasks/${taskId}`,
      headers: { 'x-request-id': 'poll-1' },
    });
    expect(answer.statusCode).toBe(200);
    const lines = await waitFor('both request lines of the poll', () => {
      const found = api.lines().filter((line) => line[F.CORRELATION_ID] === 'poll-1');
      return found.some((line) => line[F.EVENT_ACTION] === EVENTS.HTTP_REQUEST_COMPLETED) ? found : undefined;
    });
    const requestLines = lines.filter((line) =>
      [EVENTS.HTTP_REQUEST_RECEIVED, EVENTS.HTTP_REQUEST_COMPLETED].includes(String(line[F.EVENT_ACTION]) as never),
    );
    expect(requestLines).toHaveLength(2);
    for (const line of requestLines) expect(line[F.TASK_ID]).toBe(taskId);
    // The POST that created it logs no task id on its request lines (its task.enqueued line has it).
    const postLines = api.lines().filter((line) => line[F.CORRELATION_ID] === 'poll-origin-1');
    expect(postLines.find((line) => line[F.EVENT_ACTION] === EVENTS.HTTP_REQUEST_RECEIVED)).not.toHaveProperty(
      F.TASK_ID,
    );
  });
});
