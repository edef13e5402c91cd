import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockKey } from '../../workload/locks/keys.ts';
import { type Lease, tryAcquire } from '../../workload/locks/lock.ts';
import { readStoredResult, writeFencedResult } from '../../workload/locks/result-store.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';

let redis: TestRedis;
let connection: Redis;

beforeAll(async () => {
  redis = await startRedis();
  connection = new Redis(redis.url, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  connection.disconnect();
  await redis.close();
});

const leases: Lease[] = [];
async function acquire(resource: string, taskId: string, ttlMs: number) {
  const result = await tryAcquire(connection, resource, { task_id: taskId, correlation_id: `C-${taskId}` }, { ttlMs });
  if (result.acquired) leases.push(result.lease);
  return result;
}
afterAll(() => {
  for (const lease of leases) lease.abandon();
});

function writeAs(resource: string, fence: number, taskId: string) {
  return writeFencedResult(connection, {
    resource,
    inputsHash: randomUUID(),
    fence,
    result: { by: taskId, fence },
    taskId,
    correlationId: `C-${taskId}`,
    cacheTtlMs: 60_000,
  });
}

describe('fencing against the last token issued', () => {
  it('refuses a holder whose lease expired once a newer holder has the lock, before that holder writes', async () => {
    const resource = `r:${randomUUID()}`;
    const first = await acquire(resource, 'job-a', 300);
    if (!first.acquired) throw new Error('job-a did not get a free lock');
    expect(first.lease.fence).toBe(1);
    // job-a freezes: it stops renewing and its lease runs out in Redis.
    first.lease.abandon();
    await waitFor('the lease of job-a to expire', async () => (await connection.exists(lockKey(resource))) === 0);

    const second = await acquire(resource, 'job-b', 30_000);
    if (!second.acquired) throw new Error('job-b did not get the expired lock');
    expect(second.lease.fence).toBe(2);

    // job-a resumes and writes before job-b has written anything.
    expect(await writeAs(resource, 1, 'job-a')).toEqual({ written: false, lastFence: 2 });
    expect(await readStoredResult(connection, resource)).toBeUndefined();

    expect(await writeAs(resource, 2, 'job-b')).toEqual({ written: true, previousFence: 0 });
    expect(await writeAs(resource, 1, 'job-a')).toEqual({ written: false, lastFence: 2 });
    expect(await readStoredResult(connection, resource)).toEqual({
      fence: 2,
      result: { by: 'job-b', fence: 2 },
      task_id: 'job-b',
      correlation_id: 'C-job-b',
      writes: 1,
    });
  });
});

describe('a later attempt of the same job', () => {
  it('takes over the lock its own earlier attempt left, at once and with a higher fence, while another job stays blocked', async () => {
    const resource = `r:${randomUUID()}`;
    const attempt1 = await acquire(resource, 'job-1', 60_000);
    if (!attempt1.acquired) throw new Error('attempt 1 did not get a free lock');
    // Attempt 1 lost Redis and stopped renewing; its lock would block others for a minute.
    attempt1.lease.abandon();

    const other = await acquire(resource, 'job-2', 60_000);
    expect(other).toMatchObject({ acquired: false, holder: { task_id: 'job-1', fence: 1 } });
    if (other.acquired) return;
    expect(other.remainingMs).toBeGreaterThan(30_000);

    const attempt2 = await acquire(resource, 'job-1', 60_000);
    if (!attempt2.acquired) throw new Error('attempt 2 waited for its own earlier attempt’s lock');
    expect(attempt2.lease.fence).toBe(2);
    expect(attempt2.takenOverFence).toBe(1);

    // Another job is still blocked: by attempt 2 now, with a full lease.
    const again = await acquire(resource, 'job-2', 60_000);
    expect(again).toMatchObject({ acquired: false, holder: { task_id: 'job-1', fence: 2 } });

    // Attempt 1 can neither release attempt 2's lock nor write over it.
    expect(await attempt1.lease.release()).toBe('not_owner');
    expect(await writeAs(resource, 1, 'job-1')).toEqual({ written: false, lastFence: 2 });
    expect(await writeAs(resource, 2, 'job-1')).toEqual({ written: true, previousFence: 0 });
    expect(await attempt2.lease.release()).toBe('released');

    const third = await acquire(resource, 'job-2', 60_000);
    expect(third).toMatchObject({ acquired: true });
    if (third.acquired) expect(third.lease.fence).toBe(3);
  });
});
