import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockKey } from '../../workload/locks/keys.ts';
import { tryAcquire } from '../../workload/locks/lock.ts';
import { readCachedResult, readStoredResult, writeFencedResult } from '../../workload/locks/result-store.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';

let redis: TestRedis;
let connection: Redis;

beforeAll(async () => {
  redis = await startRedis();
  connection = new Redis(redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 500 });
  connection.on('error', () => {});
  await new Promise((resolve) => connection.once('ready', resolve));
});
afterAll(async () => {
  connection.disconnect();
  await redis.close();
});

describe('lease renewal', () => {
  it('keeps the lock well past its TTL while renewing', async () => {
    const resource = `r:${randomUUID()}`;
    const result = await tryAcquire(connection, resource, { task_id: 't', correlation_id: 'c' }, { ttlMs: 1000 });
    if (!result.acquired) throw new Error('not acquired');
    await sleep(2500);
    expect(result.lease.lost).toBe(false);
    expect(await connection.pttl(lockKey(resource))).toBeGreaterThan(0);
    expect(await result.lease.release()).toBe('released');
  });

  it('aborts the signal and reports the loss when the lock disappears under it', async () => {
    const resource = `r:${randomUUID()}`;
    const reasons: string[] = [];
    const result = await tryAcquire(
      connection,
      resource,
      { task_id: 't', correlation_id: 'c' },
      { ttlMs: 600, onLost: (reason) => reasons.push(reason) },
    );
    if (!result.acquired) throw new Error('not acquired');
    await connection.del(lockKey(resource));
    await waitFor('the lease to be lost', () => result.lease.signal.aborted, { timeoutMs: 2000 });
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/expired or was taken/);
  });
});

describe('fenced result store', () => {
  it('accepts newer or equal tokens, rejects older ones, and keeps the newest result', async () => {
    const resource = `r:${randomUUID()}`;
    const base = { resource, inputsHash: randomUUID(), taskId: 't', correlationId: 'c', cacheTtlMs: 60_000 };
    expect(await writeFencedResult(connection, { ...base, fence: 5, result: { v: 5 } })).toEqual({
      written: true,
      previousFence: 0,
    });
    expect(await writeFencedResult(connection, { ...base, fence: 4, result: { v: 4 } })).toEqual({
      written: false,
      lastFence: 5,
    });
    expect(await writeFencedResult(connection, { ...base, fence: 5, result: { v: 55 } })).toEqual({
      written: true,
      previousFence: 5,
    });
    const stored = await readStoredResult(connection, resource);
    expect(stored).toMatchObject({ fence: 5, result: { v: 55 }, writes: 2 });
  });

  it('caches the exact result (full number precision) with the original task and correlation ids', async () => {
    const hash = randomUUID();
    const result = { value_at_risk: 1234.5678901234567, tiny: 1e-17, name: 'quote " and \\ backslash' };
    const resource = `r:${randomUUID()}`;
    await writeFencedResult(connection, {
      resource,
      inputsHash: hash,
      fence: 1,
      result,
      taskId: 'original-task',
      correlationId: 'ORIGINAL-CORR',
      cacheTtlMs: 60_000,
    });
    expect(await readCachedResult(connection, resource, hash)).toEqual({
      result,
      task_id: 'original-task',
      correlation_id: 'ORIGINAL-CORR',
      fence: 1,
    });
  });
});

describe('lease with Redis unreachable', () => {
  it('is declared lost by the local deadline when no renewal can reach Redis', async () => {
    const resource = `r:${randomUUID()}`;
    const result = await tryAcquire(connection, resource, { task_id: 't', correlation_id: 'c' }, { ttlMs: 800 });
    if (!result.acquired) throw new Error('not acquired');
    await redis.stop({ hard: true });
    try {
      await waitFor('the lease to be lost', () => result.lease.signal.aborted, { timeoutMs: 3000 });
      expect(String(result.lease.signal.reason)).toMatch(/before the lease ran out/);
    } finally {
      await redis.start();
    }
  });
});

describe('Lua scripts', () => {
  it('each open with a header naming KEYS, ARGV and the result', () => {
    const dir = new URL('../../workload/locks/lua/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.lua'));
    expect(files.sort()).toEqual(['acquireLock-2.lua', 'extendLock-1.lua', 'releaseLock-1.lua', 'writeResult-3.lua']);
    for (const file of files) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      const header = text.slice(0, text.indexOf(']]'));
      const keys = Number(/-(\d+)\.lua$/.exec(file)?.[1]);
      for (let k = 1; k <= keys; k++) expect(header).toContain(`KEYS[${k}]`);
      expect(header).toContain('ARGV[1]');
      expect(header).toContain('Returns');
    }
  });
});
