/**
 * Issue 3, test 4: an API process killed (SIGKILL) between claiming a key and storing the
 * response. Retries get 409 until the dead claim's lease runs out, then exactly one retry takes
 * the claim over with the same task id, and the queue still holds one job.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { FAULT_PAUSE_HEADER } from '../../workload/idempotency/plugin.ts';
import { waitFor } from '../utils/wait.ts';
import { type ApiCluster, startApiCluster } from './api-cluster.ts';
import { type Answer, JobCounter, postTask } from './e2e-helpers.ts';

/** Longer than the test runs: the dead claim's lease ends when the test ends it, not by a race. */
const LEASE_MS = 60_000;

let cluster: ApiCluster;
let jobs: JobCounter;
let redis: Redis;

beforeAll(async () => {
  cluster = await startApiCluster(3, { DTQ_IDEMPOTENCY_INFLIGHT_MS: String(LEASE_MS) }, { nginx: true });
  jobs = new JobCounter(cluster.redis.url);
  redis = new Redis(cluster.redis.url);
});
afterAll(async () => {
  redis?.disconnect();
  await jobs?.close();
  await cluster?.close();
});

describe('an API killed between claim and store', () => {
  it('answers 409 until the claim expires, then runs the work exactly once under the same task id', async () => {
    const key = randomUUID();
    // Whichever API nginx picks enqueues the job, then pauses before storing the response
    // (test-only knob, DTQ_FAULTS=1): it dies there.
    const doomed = postTask(cluster.url, key, undefined, { [FAULT_PAUSE_HEADER]: '60000' });
    const claimed = await waitFor('an API to claim the key and enqueue', () => {
      const lines = cluster.lines();
      const claim = lines.find((l) => l[F.EVENT_ACTION] === EVENTS.IDEMPOTENCY_CLAIMED && l[F.IDEMPOTENCY_KEY] === key);
      const enqueued = lines.some((l) => l[F.EVENT_ACTION] === EVENTS.TASK_ENQUEUED && l[F.IDEMPOTENCY_KEY] === key);
      return claim && enqueued ? claim : undefined;
    });
    const taskId = claimed[F.TASK_ID] as string;
    const victim = cluster.apis.findIndex((a) => a.instance === claimed[F.SERVICE_INSTANCE]);
    await cluster.kill(victim);
    // nginx does not resend a POST an upstream already received: the client sees 502.
    expect((await doomed).status).toBe(502);

    // Within the lease, a retry is told the work is in flight.
    const answers: Answer[] = [await postTask(cluster.url, key)];
    expect(answers[0]?.status).toBe(409);
    // The lease runs out: its end moves to Redis's present, the clock claim-1.lua compares with.
    const records = await redis.keys('dtq:idem:*');
    expect(records).toHaveLength(1);
    const [seconds, micros] = await redis.time();
    await redis.hset(records[0] as string, 'lease_until', Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));

    const deadline = Date.now() + 30_000;
    // Bursts of concurrent client retries through nginx, until one is served.
    while (Date.now() < deadline && !answers.some((a) => a.status === 202)) {
      answers.push(...(await Promise.all(Array.from({ length: 4 }, () => postTask(cluster.url, key)))));
      await sleep(150);
    }
    const conflicts = answers.filter((a) => a.status === 409);
    const served = answers.filter((a) => a.status === 202);
    expect(conflicts.length).toBeGreaterThan(0);
    expect(conflicts.length + served.length).toBe(answers.length);
    const fresh = served.filter((a) => a.headers.get('idempotent-replayed') === null);
    expect(fresh).toHaveLength(1);
    for (const replay of served.filter((a) => a !== fresh[0]))
      expect(replay.body.equals(fresh[0]?.body as Buffer)).toBe(true);
    expect(JSON.parse((fresh[0] as Answer).body.toString()).task_id).toBe(taskId);

    // One job, the dead request's: the takeover's enqueue under the same id was dropped.
    expect(await jobs.total()).toBe(1);
    expect((await jobs.find(taskId))?.data.correlation_id).toBe(claimed[F.CORRELATION_ID]);

    const takeover = cluster
      .lines()
      .find(
        (l) => l[F.EVENT_ACTION] === EVENTS.IDEMPOTENCY_TAKEN_OVER && l[F.CORRELATION_ID] === fresh[0]?.correlationId,
      );
    expect(takeover).toMatchObject({
      [F.TASK_ID]: taskId,
      [F.ORIGINAL_TASK_ID]: taskId,
      [F.ORIGINAL_CORRELATION_ID]: claimed[F.CORRELATION_ID],
    });
    // Its enqueue found the dead request's job and left it: logged as the no-op it was.
    const enqueues = cluster
      .lines()
      .filter((l) => l[F.TASK_ID] === taskId && String(l[F.EVENT_ACTION]).startsWith('task.'));
    expect(enqueues.map((l) => [l[F.EVENT_ACTION], l[F.CORRELATION_ID]])).toEqual([
      [EVENTS.TASK_ENQUEUED, claimed[F.CORRELATION_ID]],
      [EVENTS.TASK_ALREADY_ENQUEUED, fresh[0]?.correlationId],
    ]);
    const conflictLines = cluster
      .lines()
      .filter((l) => l[F.EVENT_ACTION] === EVENTS.IDEMPOTENCY_IN_FLIGHT_CONFLICT && l[F.IDEMPOTENCY_KEY] === key);
    expect(conflictLines).toHaveLength(conflicts.length);

    // Later retries replay the takeover's response.
    const later = await postTask(cluster.url, key);
    expect(later.headers.get('idempotent-replayed')).toBe('true');
    expect(later.body.equals((fresh[0] as Answer).body)).toBe(true);
  });
});
