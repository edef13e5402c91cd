/**
 * One table of cases run through the pure specification (decision.ts) and through the real
 * claim-1.lua on a real Redis: the script must take the same decision for every case.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, retryAfterSeconds } from '../../workload/idempotency/decision.ts';
import type { IdempotencyRecord, RecordState } from '../../workload/idempotency/record.ts';
import { IdempotencyStore } from '../../workload/idempotency/store.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';

const FP = 'a'.repeat(64);
const OTHER_FP = 'b'.repeat(64);
const CANDIDATE = 'idem-candidate-0001';
const STORED_TASK = 'idem-stored-0001';

interface Case {
  readonly name: string;
  readonly state: RecordState | undefined;
  readonly fingerprint: string;
  /** Lease end relative to now, ms (in-flight records only). */
  readonly leaseInMs?: number;
  readonly expected: 'claim' | 'replay' | 'in_flight' | 'mismatch';
  readonly expectedTaskId?: string;
}

const CASES: readonly Case[] = [
  {
    name: 'no record: claims with the candidate id',
    state: undefined,
    fingerprint: FP,
    expected: 'claim',
    expectedTaskId: CANDIDATE,
  },
  {
    name: 'in flight, same body, lease running: 409',
    state: 'in_flight',
    fingerprint: FP,
    leaseInMs: 5_000,
    expected: 'in_flight',
  },
  {
    name: 'in flight, same body, lease expired: takes over with the stored id',
    state: 'in_flight',
    fingerprint: FP,
    leaseInMs: -5_000,
    expected: 'claim',
    expectedTaskId: STORED_TASK,
  },
  {
    name: 'in flight, other body, lease running: 422',
    state: 'in_flight',
    fingerprint: OTHER_FP,
    leaseInMs: 5_000,
    expected: 'mismatch',
  },
  {
    name: 'in flight, other body, lease expired: 422, no takeover',
    state: 'in_flight',
    fingerprint: OTHER_FP,
    leaseInMs: -5_000,
    expected: 'mismatch',
  },
  { name: 'completed, same body: replay', state: 'completed', fingerprint: FP, expected: 'replay' },
  { name: 'completed, other body: 422', state: 'completed', fingerprint: OTHER_FP, expected: 'mismatch' },
  {
    name: 'released, same body: claims again with the stored id',
    state: 'released',
    fingerprint: FP,
    expected: 'claim',
    expectedTaskId: STORED_TASK,
  },
  {
    name: 'released, other body: claims with a new id',
    state: 'released',
    fingerprint: OTHER_FP,
    expected: 'claim',
    expectedTaskId: CANDIDATE,
  },
];

function recordFor(c: Case, nowMs: number): IdempotencyRecord | undefined {
  if (c.state === undefined) return undefined;
  return {
    state: c.state,
    fingerprint: FP,
    taskId: STORED_TASK,
    correlationId: 'original-cid',
    leaseUntilMs: c.state === 'in_flight' ? nowMs + (c.leaseInMs ?? 0) : 0,
    claims: 1,
    response:
      c.state === 'completed'
        ? { status: 202, body: '{"x":1}', headers: { 'content-type': 'application/json' } }
        : undefined,
  };
}

describe('decide (pure specification)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const now = 1_700_000_000_000;
      const decision = decide(recordFor(c, now), { fingerprint: c.fingerprint, candidateTaskId: CANDIDATE }, now);
      expect(decision.kind).toBe(c.expected);
      if (decision.kind === 'claim') expect(decision.taskId).toBe(c.expectedTaskId);
      if (decision.kind === 'in_flight') expect(decision.retryAfterMs).toBe(c.leaseInMs);
    });
  }

  it('bounds Retry-After to at least 1 s and at most the configured maximum', () => {
    expect(retryAfterSeconds(0, 5)).toBe(1);
    expect(retryAfterSeconds(2_500, 5)).toBe(3);
    expect(retryAfterSeconds(60_000, 5)).toBe(5);
  });
});

describe('claim-1.lua agrees with the specification (real Redis)', () => {
  let redis: TestRedis;
  let client: Redis;
  let store: IdempotencyStore;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    store = new IdempotencyStore(client);
  });
  afterAll(async () => {
    client.disconnect();
    await redis.close();
  });

  async function redisNowMs(): Promise<number> {
    const [s, us] = await client.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  }

  async function seed(key: string, c: Case): Promise<void> {
    const record = recordFor(c, await redisNowMs());
    if (record === undefined) return;
    await client.hset(key, {
      state: record.state,
      fingerprint: record.fingerprint,
      task_id: record.taskId,
      correlation_id: record.correlationId,
      claims: record.claims,
      ...(record.state === 'in_flight' ? { owner: 'dead-owner', lease_until: record.leaseUntilMs } : {}),
      ...(record.response
        ? {
            status: record.response.status,
            body: record.response.body,
            headers: JSON.stringify(record.response.headers),
          }
        : {}),
    });
    await client.pexpire(key, 60_000);
  }

  for (const c of CASES) {
    it(c.name, async () => {
      const key = `dtq:idem:test-${randomUUID()}`;
      await seed(key, c);
      const before = await client.hgetall(key);
      const result = await store.claim({
        recordKey: key,
        fingerprint: c.fingerprint,
        correlationId: 'new-cid',
        candidateTaskId: CANDIDATE,
        leaseMs: 10_000,
        ttlMs: 60_000,
      });
      expect(result.decision.kind).toBe(c.expected);
      const after = await client.hgetall(key);
      if (result.decision.kind === 'claim') {
        expect(result.decision.taskId).toBe(c.expectedTaskId);
        expect(after).toMatchObject({ state: 'in_flight', task_id: c.expectedTaskId, owner: result.owner });
        expect(after.correlation_id).toBe('new-cid');
      } else {
        expect(result.owner).toBeUndefined();
        expect(after).toEqual(before);
      }
    });
  }

  it('lets exactly one of many concurrent claims through, and one takeover after the lease expires', async () => {
    const key = `dtq:idem:test-${randomUUID()}`;
    const attempt = () =>
      store.claim({
        recordKey: key,
        fingerprint: FP,
        correlationId: randomUUID(),
        candidateTaskId: `idem-${randomUUID()}`,
        // Far longer than any burst takes: the lease ends only when the test ends it below.
        leaseMs: 60_000,
        ttlMs: 60_000,
      });
    const first = await Promise.all(Array.from({ length: 50 }, attempt));
    expect(first.filter((r) => r.decision.kind === 'claim')).toHaveLength(1);
    expect(first.filter((r) => r.decision.kind === 'in_flight')).toHaveLength(49);
    // The lease runs out: its end moves to Redis's present, the clock claim-1.lua compares with.
    const [seconds, micros] = await client.time();
    await client.hset(key, 'lease_until', Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
    const second = await Promise.all(Array.from({ length: 50 }, attempt));
    const takeovers = second.filter((r) => r.decision.kind === 'claim');
    expect(takeovers).toHaveLength(1);
    const winner = first.find((r) => r.decision.kind === 'claim')?.decision;
    expect(takeovers[0]?.decision.kind === 'claim' && takeovers[0].decision.taskId).toBe(
      winner?.kind === 'claim' ? winner.taskId : 'none',
    );
  });

  it('refuses to store or release for an owner whose claim was taken over', async () => {
    const key = `dtq:idem:test-${randomUUID()}`;
    const claim = (cid: string) =>
      store.claim({
        recordKey: key,
        fingerprint: FP,
        correlationId: cid,
        candidateTaskId: CANDIDATE,
        leaseMs: 100,
        ttlMs: 60_000,
      });
    const dead = await claim('first');
    await new Promise((r) => setTimeout(r, 150));
    const live = await claim('second');
    expect(live.decision.kind).toBe('claim');
    const response = { status: 202, body: '{"late":true}', headers: { 'content-type': 'application/json' } };
    expect(await store.complete(key, dead.owner as string, response, 60_000)).toBe(false);
    expect(await store.release(key, dead.owner as string, 'keep')).toBe(false);
    expect(await store.complete(key, live.owner as string, { ...response, body: '{"live":true}' }, 60_000)).toBe(true);
    expect((await store.read(key))?.response?.body).toBe('{"live":true}');
  });

  it('gives a claim back when its answer is lost (timeout), so retries need not wait out the lease', async () => {
    const key = `dtq:idem:test-${randomUUID()}`;
    // A released record (claimed once before) with the same body: the lost claim re-claims it
    // (claims 2), and the release that follows marks it released again, proving both ran.
    await client.hset(key, {
      state: 'released',
      fingerprint: FP,
      task_id: STORED_TASK,
      correlation_id: 'c0',
      claims: 1,
    });
    const impatient = new Redis(redis.url, { commandTimeout: 50, maxRetriesPerRequest: 1 });
    const blocker = new Redis(redis.url);
    try {
      // Writes (scripts included) wait while Redis is paused, so the claim cannot be answered
      // before the client gives up; it runs once unpaused, after the client gave up on it.
      await blocker.client('PAUSE', 60_000, 'WRITE');
      await expect(
        new IdempotencyStore(impatient).claim({
          recordKey: key,
          fingerprint: FP,
          correlationId: 'lost',
          candidateTaskId: CANDIDATE,
          leaseMs: 60_000,
          ttlMs: 60_000,
        }),
      ).rejects.toThrow(/timed out/i);
      await blocker.client('UNPAUSE');
      await waitFor(
        'the lost claim to be released',
        async () => (await client.hget(key, 'state')) === 'released' && (await client.hget(key, 'claims')) === '2',
      );
      expect(await client.hget(key, 'owner')).toBeNull();
    } finally {
      await blocker.client('UNPAUSE');
      impatient.disconnect();
      blocker.disconnect();
    }
  });

  it('sets the retention TTL on the first claim and again when the response is stored', async () => {
    const key = `dtq:idem:test-${randomUUID()}`;
    const r = await store.claim({
      recordKey: key,
      fingerprint: FP,
      correlationId: 'c',
      candidateTaskId: CANDIDATE,
      leaseMs: 1_000,
      ttlMs: 30_000,
    });
    const ttlAfterClaim = await client.pttl(key);
    expect(ttlAfterClaim).toBeGreaterThan(25_000);
    expect(ttlAfterClaim).toBeLessThanOrEqual(30_000);
    await store.complete(key, r.owner as string, { status: 202, body: '{}', headers: {} }, 90_000);
    expect(await client.pttl(key)).toBeGreaterThan(85_000);
  });
});
