/**
 * What an asynchronously replicated Redis loses in a failover, made to happen on purpose: the
 * replication stream is held back while the master acknowledges a lock acquisition (a fencing
 * counter increment) and an idempotency claim, then the master is killed before they could
 * replicate. The promoted replica has neither. The fenced write still lets only one of the two
 * holders of the reissued token write (writeResult-3.lua).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordKey } from '../../workload/idempotency/scope.ts';
import { IdempotencyStore } from '../../workload/idempotency/store.ts';
import { fenceKey } from '../../workload/locks/keys.ts';
import { tryAcquire } from '../../workload/locks/lock.ts';
import { createRedisClient, type RedisClient } from '../../workload/queue/redis-client.ts';
import { fencedWriter } from '../utils/fenced-write.ts';
import { startRedisSentinel, type TestRedisSentinel } from '../utils/redis-cluster.ts';
import { waitFor } from '../utils/wait.ts';

let sentinel: TestRedisSentinel;
let client: RedisClient;

beforeAll(async () => {
  sentinel = await startRedisSentinel({ replicas: 2, downAfterMs: 1000 });
  client = createRedisClient(sentinel.target, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  client.on('error', () => {});
});

afterAll(async () => {
  client?.disconnect();
  await sentinel?.close();
});

const holder = (task: string) => ({ task_id: task, correlation_id: `C-${task}` });

describe('an asynchronous-replication failover', () => {
  it('can lose a fencing counter increment and an idempotency record; a reissued token still writes once', async () => {
    const resource = `calculate_var:portfolio:failover-${randomUUID()}`;
    const first = await tryAcquire(client, resource, holder('t1'), { ttlMs: 60_000 });
    if (!first.acquired) throw new Error('first acquire refused');
    await first.lease.release();
    // Both replicas have everything so far.
    expect(await client.call('WAIT', 2, 5000)).toBe(2);

    // Hold both replicas back, then let the master acknowledge two writes only it will ever have.
    sentinel.replication.hold();
    const stale = await tryAcquire(client, resource, holder('t2'), { ttlMs: 60_000 });
    if (!stale.acquired) throw new Error('second acquire refused');
    expect(stale.lease.fence).toBe(first.lease.fence + 1);
    const store = new IdempotencyStore(client);
    const record = recordKey(randomUUID().replaceAll('-', ''));
    const claim = await store.claim({
      recordKey: record,
      fingerprint: 'f',
      correlationId: 'C-claim',
      candidateTaskId: 'idem-task',
      leaseMs: 60_000,
      ttlMs: 60_000,
    });
    expect(claim.decision.kind).toBe('claim');
    const oldMaster = await sentinel.masterPort();
    await sentinel.servers[0]?.kill();
    sentinel.replication.cut();

    await waitFor('a replica to be promoted', async () => (await sentinel.masterPort()) !== oldMaster, {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    await waitFor('the client to reach the new master', async () => (await client.call('PING')) === 'PONG', {
      timeoutMs: 30_000,
      intervalMs: 200,
    });

    // Lost: the counter is back at the first token, and the claim never happened.
    expect(Number(await client.get(fenceKey(resource)))).toBe(first.lease.fence);
    expect(await store.read(record)).toBeUndefined();

    // The stale holder (t2) still carries its token; the lock is gone, so t3 takes it and is
    // handed the same number.
    stale.lease.abandon();
    const next = await tryAcquire(client, resource, holder('t3'), { ttlMs: 60_000 });
    if (!next.acquired) throw new Error('acquire after the failover refused');
    expect(next.lease.fence).toBe(stale.lease.fence);

    const write = fencedWriter(client, resource);
    expect(await write(next.lease.fence, 't3')).toMatchObject({ written: true });
    // Same token, other task: refused, so the reused token writes once.
    expect(await write(stale.lease.fence, 't2')).toEqual({ written: false, lastFence: next.lease.fence });
    await next.lease.release();
  });
});
