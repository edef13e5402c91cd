/**
 * Redis taken away mid-run: requests get a clear 503 at once instead of hanging, the API stays
 * up, and it serves again by itself once Redis is back, with the outage and recovery logged.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { QUEUE_ERRORS } from '../../workload/queue/errors.ts';
import { startRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';
import { type ApiHarness, startApiHarness } from './api-harness.ts';

let api: ApiHarness;

beforeAll(async () => {
  api = await startApiHarness({ retryAfterS: 3 });
});

afterAll(async () => {
  await api?.close();
});

function post(headers: Record<string, string> = {}) {
  return api.postTask({ headers });
}

function events(action: string) {
  return api.lines().filter((line) => line[F.EVENT_ACTION] === action);
}

describe('Redis outage', () => {
  it('answers 503 at once while Redis is down and recovers without a restart', async () => {
    expect((await post()).statusCode).toBe(202);

    await api.redis.stop({ hard: true });
    await waitFor('the API to notice the outage', () => !api.queue.isAvailable(), { timeoutMs: 5000 });

    // Refused at once, not after the operation deadline (which would end in REDIS_TIMEOUT).
    await expect(api.queue.backlog()).rejects.toMatchObject({ code: QUEUE_ERRORS.REDIS_UNAVAILABLE.code });
    const refused = await post();
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('3');
    const error = refused.json().error;
    expect(error.code).toBe('DTQ_ERR_API_REDIS_UNAVAILABLE');
    expect(error.message).toMatch(/Redis/);
    expect(error.correlation_id).toBe(refused.headers['x-request-id']);

    const status = await api.app.inject({ method: 'GET', url: '/api/v1/tasks/some-task' });
    expect(status.statusCode).toBe(503);
    expect((await api.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(503);
    expect((await api.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);

    const unavailable = events(EVENTS.DEPENDENCY_UNAVAILABLE);
    expect(unavailable).toHaveLength(1);
    expect(unavailable[0]).toMatchObject({ [F.DEPENDENCY_NAME]: 'redis', [F.LOG_LEVEL]: 'error' });
    const completed = api
      .lines()
      .filter(
        (line) =>
          line[F.EVENT_ACTION] === EVENTS.HTTP_REQUEST_COMPLETED && line[F.CORRELATION_ID] === error.correlation_id,
      );
    expect(completed[0]).toMatchObject({ [F.HTTP_STATUS]: 503, [F.ERROR_CODE]: 'DTQ_ERR_API_REDIS_UNAVAILABLE' });
    // The operator's line names the underlying failure, which the client's body does not.
    expect(completed[0]?.[F.ERROR_MESSAGE]).toContain(QUEUE_ERRORS.REDIS_UNAVAILABLE.code);

    await api.redis.start();
    const recovered = await waitFor('the API to accept tasks again', async () => (await post()).statusCode === 202, {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    expect(recovered).toBe(true);
    expect(events(EVENTS.DEPENDENCY_RECOVERED)).toHaveLength(1);
    const ready = await api.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', redis: 'up' });
  });

  it('answers 503 by its own deadline when Redis hangs instead of failing', async () => {
    const admin = new Redis(api.redis.url);
    const info = await admin.info('server');
    admin.disconnect();
    const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1]);
    expect(pid).toBeGreaterThan(0);
    // A stopped server keeps its connections open and answers nothing until it is continued:
    // whatever answer comes back before that is the API's own.
    process.kill(pid, 'SIGSTOP');
    try {
      const refused = await post({ 'x-request-id': 'during-hang' });
      expect(refused.statusCode).toBe(503);
      expect(refused.json().error.code).toBe('DTQ_ERR_API_REDIS_UNAVAILABLE');
      await expect(api.queue.backlog()).rejects.toMatchObject({ code: QUEUE_ERRORS.REDIS_TIMEOUT.code });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor('the API to accept tasks again', async () => (await post()).statusCode === 202, {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    const completed = events(EVENTS.HTTP_REQUEST_COMPLETED).find((line) => line[F.CORRELATION_ID] === 'during-hang');
    expect(completed?.[F.ERROR_MESSAGE]).toContain(QUEUE_ERRORS.REDIS_TIMEOUT.code);
    // The depth reading ran out of time, so no enqueue was sent to the stopped server: one
    // deadline, and nothing left behind to run after Redis continued.
    const jobs = await api.inspect('high').getJobs(['waiting', 'prioritized', 'active', 'completed']);
    expect(jobs.map((job) => job.data.correlation_id)).not.toContain('during-hang');
  });

  it('starts while Redis is down and serves once it is up', async () => {
    const redis = await startRedis();
    await redis.stop({ hard: true });
    const late = await startApiHarness({}, { redis, waitForRedis: false });
    try {
      expect((await late.postTask()).statusCode).toBe(503);
      await redis.start();
      await waitFor('the late API to accept tasks', async () => (await late.postTask()).statusCode === 202, {
        timeoutMs: 10_000,
        intervalMs: 100,
      });
    } finally {
      await late.close();
      await redis.close();
    }
  });
});
