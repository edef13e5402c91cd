import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireOrWait, currentHolder, releaseByToken, tryAcquire } from '../../workload/locks/lock.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';

let redis: TestRedis;
const clients: Redis[] = [];
const client = (): Redis => {
  const c = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
  await redis.close();
});

describe('resource lock', () => {
  it('never lets two of M contenders × K critical sections overlap, and fences grow with each grant', async () => {
    const resource = `portfolio:${randomUUID()}`;
    const M = 4;
    const K = 8;
    const sections: { enter: number; exit: number; fence: number }[] = [];
    const probe = client();
    const occupancyKey = `test:occupancy:${resource}`;
    let maxOccupancy = 0;
    await Promise.all(
      Array.from({ length: M }, async (_, m) => {
        const connection = client();
        for (let k = 0; k < K; k++) {
          const holder = { task_id: `task-${m}-${k}`, correlation_id: `corr-${m}` };
          const result = await acquireOrWait(connection, resource, holder, {
            ttlMs: 5000,
            maxWaitMs: 30_000,
            pollMs: 10,
          });
          if (!result.acquired) throw new Error('timed out waiting for the lock');
          const enter = performance.now();
          // A second witness kept in Redis: the count of holders inside must always be 1.
          maxOccupancy = Math.max(maxOccupancy, await probe.incr(occupancyKey));
          await sleep(2 + Math.random() * 5);
          await probe.decr(occupancyKey);
          const exit = performance.now();
          sections.push({ enter, exit, fence: result.lease.fence });
          expect(await result.lease.release()).toBe('released');
        }
      }),
    );
    expect(sections).toHaveLength(M * K);
    expect(maxOccupancy).toBe(1);
    sections.sort((a, b) => a.enter - b.enter);
    for (let i = 1; i < sections.length; i++) {
      const previous = sections[i - 1] as (typeof sections)[number];
      const current = sections[i] as (typeof sections)[number];
      expect(current.enter).toBeGreaterThanOrEqual(previous.exit);
      expect(current.fence).toBeGreaterThan(previous.fence);
    }
    expect(new Set(sections.map((s) => s.fence)).size).toBe(M * K);
  });

  it('tells a contender who holds the lock and for how long', async () => {
    const resource = `portfolio:${randomUUID()}`;
    const first = await tryAcquire(
      client(),
      resource,
      { task_id: 'original', correlation_id: 'ORIG-1' },
      { ttlMs: 10_000 },
    );
    expect(first.acquired).toBe(true);
    const second = await tryAcquire(client(), resource, { task_id: 'dup', correlation_id: 'DUP-1' }, { ttlMs: 10_000 });
    expect(second.acquired).toBe(false);
    if (second.acquired) return;
    expect(second.holder).toMatchObject({ task_id: 'original', correlation_id: 'ORIG-1' });
    expect(second.remainingMs).toBeGreaterThan(5000);
    if (first.acquired) await first.lease.release();
  });

  it('releasing with a stale token deletes nothing', async () => {
    const resource = `portfolio:${randomUUID()}`;
    const connection = client();
    const old = await tryAcquire(connection, resource, { task_id: 'old', correlation_id: 'c-old' }, { ttlMs: 150 });
    if (!old.acquired) throw new Error('first acquisition failed');
    old.lease.abandon();
    await sleep(300);
    const fresh = await tryAcquire(
      connection,
      resource,
      { task_id: 'new', correlation_id: 'c-new' },
      { ttlMs: 10_000 },
    );
    if (!fresh.acquired) throw new Error('the expired lock was not granted again');
    expect(fresh.lease.fence).toBe(old.lease.fence + 1);
    expect(await releaseByToken(connection, resource, old.lease.token)).toBe(false);
    expect(await old.lease.release()).toBe('not_owner');
    expect(await currentHolder(connection, resource)).toMatchObject({ task_id: 'new', fence: fresh.lease.fence });
    expect(await fresh.lease.release()).toBe('released');
    expect(await currentHolder(connection, resource)).toBeUndefined();
  });
});
