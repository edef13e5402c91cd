/**
 * The idempotency plugin's HTTP behaviour on a stand-in route with real Redis and a real BullMQ
 * queue (see minimal-app.ts): replays, conflicts, mismatches, malformed keys, releases,
 * takeovers and expiry, each asserted on responses, Redis and the log lines.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { buildMinimalApp, type MinimalApp } from './minimal-app.ts';

const BODY = {
  task_type: 'calculate_var',
  data: { portfolio_id: 'p-1', positions: [{ symbol: 'AAPL', quantity: 100 }] },
};

let redis: TestRedis;
let current: MinimalApp | undefined;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.close();
});
afterEach(async () => {
  // Records are global to a Redis (dtq:idem:*), so each test starts from an empty one.
  await current?.redis.flushall().catch(() => {});
  await current?.close();
  current = undefined;
});

async function build(config: Parameters<typeof buildMinimalApp>[1] = {}): Promise<MinimalApp> {
  current = await buildMinimalApp(redis.url, config);
  return current;
}

function post(t: MinimalApp, key: string | undefined, body: unknown = BODY, headers: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/tasks',
    headers: {
      'content-type': 'application/json',
      'x-request-id': `cid-${randomUUID()}`,
      ...(key === undefined ? {} : { 'idempotency-key': key }),
      ...headers,
    },
    payload: JSON.stringify(body),
  });
}

async function jobCount(t: MinimalApp): Promise<number> {
  const counts = await t.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

async function idemKeys(t: MinimalApp): Promise<string[]> {
  return t.redis.keys('dtq:idem:*');
}

function events(t: MinimalApp, action: string): Record<string, unknown>[] {
  return t.lines.filter((l) => l[F.EVENT_ACTION] === action);
}

/** The plugin's lines are the ones naming a key; Fastify's own request lines are not its business. */
function expectEveryKeyedLineHasAnAction(t: MinimalApp): void {
  const keyed = t.lines.filter((l) => l[F.IDEMPOTENCY_KEY] !== undefined);
  expect(keyed.length).toBeGreaterThan(0);
  expect(keyed.filter((l) => typeof l[F.EVENT_ACTION] !== 'string')).toEqual([]);
}

describe('Idempotency-Key on POST /api/v1/tasks (plugin, real Redis)', () => {
  it('replays the first response byte for byte when the same key and body arrive again', async () => {
    const t = await build();
    const key = randomUUID();
    const first = await post(t, key);
    expect(first.statusCode).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await post(t, key, JSON.parse(JSON.stringify({ data: BODY.data, task_type: BODY.task_type })));
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.rawPayload.equals(first.rawPayload)).toBe(true);
    expect(again.headers['content-type']).toBe(first.headers['content-type']);
    expect(again.headers.location).toBe(first.headers.location);
    expect(await jobCount(t)).toBe(1);
    const [replayed] = events(t, EVENTS.IDEMPOTENCY_REPLAYED);
    expect(replayed).toMatchObject({
      [F.IDEMPOTENCY_KEY]: key,
      [F.CORRELATION_ID]: again.headers['x-request-id'] ?? expect.any(String),
      [F.ORIGINAL_TASK_ID]: first.json().task_id,
      [F.ORIGINAL_CORRELATION_ID]: first.json().correlation_id,
    });
    expect(events(t, EVENTS.IDEMPOTENCY_CLAIMED)).toHaveLength(1);
  });

  it('creates exactly one job for 200 concurrent requests with one key; the rest replay or get 409', async () => {
    const t = await build();
    const key = randomUUID();
    const responses = await Promise.all(Array.from({ length: 200 }, () => post(t, key)));
    const created = responses.filter((r) => r.statusCode === 202 && r.headers['idempotent-replayed'] === undefined);
    expect(created).toHaveLength(1);
    const first = created[0];
    for (const r of responses) {
      if (r === first) continue;
      if (r.statusCode === 409) {
        expect(r.headers['retry-after']).toBe('1');
        expect(r.json().error.code).toBe('DTQ_ERR_IDEMPOTENCY_IN_FLIGHT');
      } else {
        expect(r.statusCode).toBe(202);
        expect(r.headers['idempotent-replayed']).toBe('true');
        expect(r.body).toBe(first?.body);
      }
    }
    expect(await jobCount(t)).toBe(1);
    const blocked = responses.length - 1;
    const logged =
      events(t, EVENTS.IDEMPOTENCY_REPLAYED).length + events(t, EVENTS.IDEMPOTENCY_IN_FLIGHT_CONFLICT).length;
    expect(logged).toBe(blocked);
    for (const line of [
      ...events(t, EVENTS.IDEMPOTENCY_REPLAYED),
      ...events(t, EVENTS.IDEMPOTENCY_IN_FLIGHT_CONFLICT),
    ]) {
      expect(line[F.ORIGINAL_TASK_ID]).toBe(first?.json().task_id);
      expect(line[F.ORIGINAL_CORRELATION_ID]).toBe(first?.json().correlation_id);
    }
  });

  it('answers 422 to the same key with a different body and leaves the original untouched', async () => {
    const t = await build();
    const key = randomUUID();
    const first = await post(t, key);
    const [recordKey] = await idemKeys(t);
    const before = await t.redis.hgetall(recordKey as string);
    const other = await post(t, key, { ...BODY, priority: 'high' });
    expect(other.statusCode).toBe(422);
    expect(other.json().error.code).toBe('DTQ_ERR_IDEMPOTENCY_PAYLOAD_MISMATCH');
    expect(other.json().error.message).toContain(first.json().task_id);
    expect(await t.redis.hgetall(recordKey as string)).toEqual(before);
    expect(await jobCount(t)).toBe(1);
    expect(events(t, EVENTS.IDEMPOTENCY_PAYLOAD_MISMATCH)[0]).toMatchObject({
      [F.IDEMPOTENCY_KEY]: key,
      [F.ORIGINAL_TASK_ID]: first.json().task_id,
    });
    const replay = await post(t, key);
    expect(replay.body).toBe(first.body);
  });

  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a control character', 'abc\x01def'],
    ['UTF-8 (non-ASCII) characters', Buffer.from('clé-🔑', 'utf8').toString('latin1')],
    ['a broken quoted string', '"abc'],
  ])('refuses a key that is %s with 400 and stores nothing', async (_name, key) => {
    const t = await build();
    const response = await post(t, key);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('DTQ_ERR_IDEMPOTENCY_KEY_INVALID');
    expect(await idemKeys(t)).toEqual([]);
    expect(await jobCount(t)).toBe(0);
  });

  it('refuses a repeated Idempotency-Key header with 400', async () => {
    const t = await build();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: { 'content-type': 'application/json', 'idempotency-key': ['a', 'b'] },
      payload: JSON.stringify(BODY),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain('sent 2 times');
  });

  it('treats a quoted key (IETF Structured Field) and the bare key as the same key', async () => {
    const t = await build();
    const first = await post(t, 'same-key-1');
    const quoted = await post(t, '"same-key-1"');
    expect(quoted.headers['idempotent-replayed']).toBe('true');
    expect(quoted.body).toBe(first.body);
  });

  it('stores nothing when the body fails schema validation, so the key stays usable', async () => {
    const t = await build();
    const key = randomUUID();
    const invalid = await post(t, key, { task_type: 'calculate_var' });
    expect(invalid.statusCode).toBe(400);
    expect(await idemKeys(t)).toEqual([]);
    const valid = await post(t, key);
    expect(valid.statusCode).toBe(202);
    expect(valid.headers['idempotent-replayed']).toBeUndefined();
  });

  it('releases the claim when the handler fails, and a retry with the same body reuses the task id', async () => {
    const t = await build();
    const key = randomUUID();
    t.failWith(503);
    const failed = await post(t, key);
    expect(failed.statusCode).toBe(503);
    const [recordKey] = await idemKeys(t);
    const released = await t.redis.hgetall(recordKey as string);
    expect(released.state).toBe('released');
    t.failWith(undefined);
    const retried = await post(t, key);
    expect(retried.statusCode).toBe(202);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(retried.json().task_id).toBe(released.task_id);
    expect(await jobCount(t)).toBe(1);
    expect(t.outcomes).toEqual(['new', 'reclaimed']);
  });

  it('forgets the claim when the request is refused with a 4xx, leaving nothing stored', async () => {
    const t = await build();
    const key = randomUUID();
    t.failWith(400);
    expect((await post(t, key)).statusCode).toBe(400);
    expect(await idemKeys(t)).toEqual([]);
    t.failWith(undefined);
    const retried = await post(t, key, { ...BODY, priority: 'low' });
    expect(retried.statusCode).toBe(202);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });

  it('scopes keys per client: the same key under two Authorization values makes two tasks', async () => {
    const t = await build();
    const key = randomUUID();
    const alice = await post(t, key, BODY, { authorization: 'Bearer alice-token' });
    const bob = await post(t, key, { ...BODY, priority: 'low' }, { authorization: 'Bearer bob-token' });
    expect(alice.statusCode).toBe(202);
    expect(bob.statusCode).toBe(202);
    expect(bob.json().task_id).not.toBe(alice.json().task_id);
    expect(await jobCount(t)).toBe(2);
    const stored = JSON.stringify(await Promise.all((await idemKeys(t)).map((k) => t.redis.hgetall(k))));
    expect(stored).not.toContain('alice-token');
    expect(stored).not.toContain('bob-token');
  });

  it('gives 409 while a claim is in flight, then lets exactly one retry take over after the lease', async () => {
    // A lease no request outlasts by itself: it ends when the test ends it below.
    const t = await build({ inFlightMs: 60_000 });
    const key = randomUUID();
    // The first request is held between running (job enqueued) and storing its response,
    // like a process that stalls or dies there.
    const hold = t.holdNext();
    const slow = post(t, key, BODY);
    await hold.enqueued;
    const during = await post(t, key);
    expect(during.statusCode).toBe(409);
    expect(during.headers['retry-after']).toBe('1');
    // Its lease runs out: the lease end moves to Redis's present, the clock claim-1.lua compares with.
    const [record] = await idemKeys(t);
    const [seconds, micros] = await t.redis.time();
    await t.redis.hset(record as string, 'lease_until', Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
    const retries = await Promise.all(Array.from({ length: 20 }, () => post(t, key)));
    const takeovers = retries.filter((r) => r.statusCode === 202);
    expect(takeovers).toHaveLength(1);
    expect(retries.filter((r) => r.statusCode === 409)).toHaveLength(19);
    hold.release();
    const first = await slow;
    // Both answers name the same task, and the queue holds it once.
    expect(takeovers[0]?.json().task_id).toBe(first.json().task_id);
    expect(await jobCount(t)).toBe(1);
    expect(events(t, EVENTS.IDEMPOTENCY_CLAIMED)).toHaveLength(1);
    const counted = (outcome: string) => t.outcomes.filter((o) => o === outcome).length;
    expect([counted('new'), counted('in_flight'), counted('taken_over')]).toEqual([1, 20, 1]);
    // The takeover is an event of its own, naming the request it took over from.
    const takenOver = events(t, EVENTS.IDEMPOTENCY_TAKEN_OVER);
    expect(takenOver).toHaveLength(1);
    expect(takenOver[0]).toMatchObject({
      [F.TASK_ID]: first.json().task_id,
      [F.ORIGINAL_TASK_ID]: first.json().task_id,
      [F.ORIGINAL_CORRELATION_ID]: first.json().correlation_id,
    });
    // The late owner's response was not stored: replays give the takeover's response.
    const replay = await post(t, key);
    expect(replay.body).toBe(takeovers[0]?.body);
    // The late owner says so, as an event a dashboard can count.
    const lost = events(t, EVENTS.IDEMPOTENCY_CLAIM_LOST);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.[F.IDEMPOTENCY_KEY]).toBe(key);
    expect(lost[0]?.[F.TASK_ID]).toBe(first.json().task_id);
    expectEveryKeyedLineHasAnAction(t);
  });

  it('treats the key as new once its record expired', async () => {
    const t = await build({ ttlSeconds: 1 });
    const key = randomUUID();
    const first = await post(t, key);
    await sleep(1_200);
    const later = await post(t, key, { ...BODY, priority: 'low' });
    expect(later.statusCode).toBe(202);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
    expect(later.json().task_id).not.toBe(first.json().task_id);
    expect(await jobCount(t)).toBe(2);
  });

  it('passes requests without the header straight through', async () => {
    const t = await build();
    const a = await post(t, undefined);
    const b = await post(t, undefined);
    expect(a.json().task_id).not.toBe(b.json().task_id);
    expect(await idemKeys(t)).toEqual([]);
    expect(await jobCount(t)).toBe(2);
  });

  it('answers 503 with a clear code when Redis is down, and works again when it is back', async () => {
    const t = await build();
    await redis.stop();
    try {
      const downKey = randomUUID();
      const down = await post(t, downKey);
      expect(down.statusCode).toBe(503);
      expect(down.json().error.code).toBe('DTQ_ERR_IDEMPOTENCY_STORE_UNAVAILABLE');
      const failed = events(t, EVENTS.IDEMPOTENCY_STORE_FAILED);
      expect(failed).toHaveLength(1);
      expect(failed[0]?.[F.DEPENDENCY_NAME]).toBe('redis');
      expect(failed[0]?.[F.IDEMPOTENCY_KEY]).toBe(downKey);
      expect(t.outcomes).toEqual(['store_failed']);
      expectEveryKeyedLineHasAnAction(t);
    } finally {
      await redis.start();
    }
    const key = randomUUID();
    const up = await (async () => {
      for (let i = 0; i < 50; i++) {
        const r = await post(t, key);
        if (r.statusCode === 202) return r;
        await sleep(100);
      }
      return undefined;
    })();
    expect(up?.statusCode).toBe(202);
  });
});
