import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtqError } from '../../contract/dtq-error.ts';
import { isRedisUnreachable, toJobError, WORKER_ERRORS } from '../../workload/worker/errors.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';

let redis: TestRedis;
const clients: Redis[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await redis.close();
});

/** A client set up like the worker's lock and result connection (workload/worker/main.ts). */
async function workerLikeClient(extra: Record<string, unknown> = {}): Promise<Redis> {
  const client = new Redis(redis.url, {
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.min(times * 100, 1000),
    connectTimeout: 1000,
    ...extra,
  });
  client.on('error', () => {});
  clients.push(client);
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  return client;
}

async function failureOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('the command succeeded with Redis stopped');
}

describe('a job attempt that loses Redis', () => {
  it('fails with DTQ_ERR_WORKER_REDIS_UNAVAILABLE, not a raw MaxRetriesPerRequestError, keeping the raw error as cause', async () => {
    const client = await workerLikeClient();
    const offline = await workerLikeClient({ enableOfflineQueue: false });
    await redis.stop({ hard: true });
    try {
      const raw = await failureOf(() => client.get('dtq:anything'));
      expect((raw as Error).name).toBe('MaxRetriesPerRequestError');
      const mapped = toJobError(raw);
      expect(mapped).toBeInstanceOf(DtqError);
      expect(mapped).toMatchObject({ code: WORKER_ERRORS.REDIS_UNAVAILABLE.code, cause: raw });
      expect((mapped as Error).message).toMatch(/^Redis did not answer while the task ran \(Reached the max retries/);
      expect((mapped as Error).message).toContain('DTQ_REDIS_URL');

      // With the offline queue off, ioredis refuses at once with another message.
      const refused = await failureOf(() => offline.get('dtq:anything'));
      expect(isRedisUnreachable(refused)).toBe(true);
      expect(toJobError(refused)).toMatchObject({ code: WORKER_ERRORS.REDIS_UNAVAILABLE.code });
    } finally {
      await redis.start();
    }
  });

  it('leaves errors that Redis itself answered, and everything else, unchanged', async () => {
    const client = await workerLikeClient();
    const reply = await failureOf(() => client.call('NO_SUCH_COMMAND'));
    expect(isRedisUnreachable(reply)).toBe(false);
    expect(toJobError(reply)).toBe(reply);
    const other = new Error('something else');
    expect(toJobError(other)).toBe(other);
    expect(toJobError('not an error')).toBe('not an error');
  });
});
