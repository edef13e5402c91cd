/**
 * Redis fails after an enqueue was sent: the client is told the task may or may not exist and
 * which task id to ask about, and the task is never queued later by a resend on reconnect
 * (which would queue work seconds after the client was told to retry: two runs).
 */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENTS, F, PRIORITIES } from '../../contract/vocabulary.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';
import { type ApiHarness, startApiHarness } from './api-harness.ts';

let redis: TestRedis;
let api: ApiHarness;

beforeEach(async () => {
  redis = await startRedis();
  // The back-pressure check reads the queue depth from its cache: the POST goes straight to
  // the enqueue, which is the command left hanging below.
  api = await startApiHarness({ circuitCacheMs: 600_000, retryAfterS: 2 }, { redis });
  expect((await api.postTask()).statusCode).toBe(202);
});

afterEach(async () => {
  await api?.close();
  await redis?.close();
});

async function redisPid(): Promise<number> {
  const admin = new Redis(redis.url);
  const info = await admin.info('server');
  admin.disconnect();
  return Number(/^process_id:(\d+)/m.exec(info)?.[1]);
}

/** POST while Redis is stopped: it takes the enqueue and answers nothing. */
async function postIntoHungRedis(pid: number, correlationId: string): Promise<string> {
  process.kill(pid, 'SIGSTOP');
  const answer = await api.postTask({ headers: { 'x-request-id': correlationId } });
  expect(answer.statusCode).toBe(503);
  expect(answer.headers['retry-after']).toBe('2');
  const error = answer.json().error;
  expect(error.code).toBe('DTQ_ERR_API_ENQUEUE_OUTCOME_UNKNOWN');
  expect(error.task_id).toMatch(/^[0-9a-f-]{36}$/);
  expect(error.message).toContain(`may or may not have been queued`);
  expect(error.message).toContain(`GET /api/v1/tasks/${error.task_id}`);
  return error.task_id as string;
}

async function jobsWithId(taskId: string): Promise<number> {
  let count = 0;
  for (const priority of PRIORITIES) if ((await api.inspect(priority).getJob(taskId)) !== undefined) count++;
  return count;
}

describe('an enqueue whose answer is lost', () => {
  it('is not sent again when the connection comes back: the task does not exist, then or later', async () => {
    const pid = await redisPid();
    const taskId = await postIntoHungRedis(pid, 'lost-enqueue');
    // The stopped server dies with the unread command in its socket, and comes back empty.
    await redis.stop({ hard: true });
    await redis.start();
    await waitFor('the API to accept tasks again', async () => (await api.postTask()).statusCode === 202, {
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    // Past any reconnect and resend: the lost enqueue stays lost.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const status = await api.app.inject({ method: 'GET', url: `/api/v1/tasks/${taskId}` });
    expect(status.statusCode).toBe(404);
    expect(await jobsWithId(taskId)).toBe(0);
    const enqueued = api
      .lines()
      .filter((line) => line[F.EVENT_ACTION] === EVENTS.TASK_ENQUEUED && line[F.TASK_ID] === taskId);
    expect(enqueued).toEqual([]);
  });

  it('may still have reached Redis: then the task exists once, and GET says so', async () => {
    const pid = await redisPid();
    const taskId = await postIntoHungRedis(pid, 'late-enqueue');
    // Continued, the server reads the command it already received and runs it.
    process.kill(pid, 'SIGCONT');
    await waitFor(
      'the late task to be readable',
      async () => (await api.app.inject({ method: 'GET', url: `/api/v1/tasks/${taskId}` })).statusCode === 200,
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(await jobsWithId(taskId)).toBe(1);
    // The log says what happened, in order: the 503, then the enqueue that landed after it.
    const lines = api.lines().filter((line) => line[F.CORRELATION_ID] === 'late-enqueue');
    const actions = lines.map((line) => line[F.EVENT_ACTION]);
    expect(actions.indexOf(EVENTS.HTTP_REQUEST_COMPLETED)).toBeLessThan(actions.indexOf(EVENTS.TASK_ENQUEUED));
    const completed = lines.find((line) => line[F.EVENT_ACTION] === EVENTS.HTTP_REQUEST_COMPLETED);
    expect(completed).toMatchObject({ [F.HTTP_STATUS]: 503, [F.ERROR_CODE]: 'DTQ_ERR_API_ENQUEUE_OUTCOME_UNKNOWN' });
  });
});
