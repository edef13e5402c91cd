/**
 * An idempotency lease takeover on a real API process with real Redis and BullMQ, while the
 * first request is still running (held between its enqueue and storing its answer): the logs say
 * what really happened — the taker's own `idempotency.taken_over` naming the first request, its
 * enqueue a no-op (`task.already_enqueued`, not `task.enqueued`), the first request's lost claim —
 * and dtq-explore gives the job one owner and each blocked duplicate one trace.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { shortId } from '../../explorer/model/fields.ts';
import { FAULT_PAUSE_HEADER } from '../../workload/idempotency/plugin.ts';
import { ensureBuilt, runExplore } from '../explorer/binary.ts';
import { waitFor } from '../utils/wait.ts';
import { type ApiCluster, startApiCluster } from './api-cluster.ts';
import { JobCounter, postTask } from './e2e-helpers.ts';

/** Longer than the test: the first claim's lease ends when the test ends it, not by a race. */
const LEASE_MS = 60_000;
/** How long the first request is held before storing its answer: it is still running at the takeover. */
const HOLD_MS = 20_000;

let cluster: ApiCluster;
let jobs: JobCounter;
let redis: Redis;

beforeAll(async () => {
  ensureBuilt();
  cluster = await startApiCluster(1, { DTQ_IDEMPOTENCY_INFLIGHT_MS: String(LEASE_MS) });
  jobs = new JobCounter(cluster.redis.url);
  redis = new Redis(cluster.redis.url);
}, 120_000);
afterAll(async () => {
  redis?.disconnect();
  await jobs?.close();
  await cluster?.close();
});

async function explore(cid: string) {
  const run = await runExplore(['--logs', cluster.logDir, '--json', cid]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

describe('an idempotency lease taken over while the first request still runs', () => {
  it('logs the takeover and the no-op enqueue with both requests’ ids, and the explorer shows one owner', async () => {
    const key = randomUUID();
    const firstAnswer = postTask(cluster.url, key, undefined, { [FAULT_PAUSE_HEADER]: String(HOLD_MS) });
    const enqueued = await waitFor('the first request to enqueue', () =>
      cluster.lines().find((l) => l[F.EVENT_ACTION] === EVENTS.TASK_ENQUEUED && l[F.IDEMPOTENCY_KEY] === key),
    );
    const first = String(enqueued[F.CORRELATION_ID]);
    const taskId = String(enqueued[F.TASK_ID]);

    const conflict = await postTask(cluster.url, key);
    expect(conflict.status).toBe(409);
    // The lease runs out: its end moves to Redis's present, the clock claim-1.lua compares with.
    const [record] = await redis.keys('dtq:idem:*');
    const [seconds, micros] = await redis.time();
    await redis.hset(record as string, 'lease_until', Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
    const taker = await postTask(cluster.url, key);
    expect(taker.status).toBe(202);
    expect(JSON.parse(taker.body.toString()).task_id).toBe(taskId);
    const replay = await postTask(cluster.url, key);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await firstAnswer).status).toBe(202);
    await waitFor('the first request to find its claim gone', () =>
      cluster.lines().find((l) => l[F.EVENT_ACTION] === EVENTS.IDEMPOTENCY_CLAIM_LOST && l[F.CORRELATION_ID] === first),
    );

    const of = (action: string) =>
      cluster.lines().filter((l) => l[F.EVENT_ACTION] === action && l[F.IDEMPOTENCY_KEY] === key);
    expect(of(EVENTS.TASK_ENQUEUED).map((l) => l[F.CORRELATION_ID])).toEqual([first]);
    expect(of(EVENTS.TASK_ALREADY_ENQUEUED)).toEqual([
      expect.objectContaining({
        [F.CORRELATION_ID]: taker.correlationId,
        [F.TASK_ID]: taskId,
        [F.ORIGINAL_CORRELATION_ID]: first,
      }),
    ]);
    expect(of(EVENTS.IDEMPOTENCY_TAKEN_OVER)).toEqual([
      expect.objectContaining({
        [F.CORRELATION_ID]: taker.correlationId,
        [F.TASK_ID]: taskId,
        [F.ORIGINAL_TASK_ID]: taskId,
        [F.ORIGINAL_CORRELATION_ID]: first,
      }),
    ]);
    expect(of(EVENTS.IDEMPOTENCY_CLAIMED).map((l) => l[F.CORRELATION_ID])).toEqual([first]);
    expect(await jobs.total()).toBe(1);

    // The taker's trace: the job is the first request's, its own enqueue a no-op, its takeover named.
    const takerTrace = await explore(taker.correlationId);
    expect(takerTrace.tasks).toEqual([
      expect.objectContaining({
        task_id: taskId,
        enqueued_by: first,
        already_enqueued: [expect.objectContaining({ correlation_id: taker.correlationId })],
      }),
    ]);
    expect(takerTrace.takeovers).toEqual([
      expect.objectContaining({
        direction: 'took_over',
        correlation_id: taker.correlationId,
        original_correlation_id: first,
        task_id: taskId,
        idempotency_key: key,
        claim_lost_at: expect.any(String),
      }),
    ]);
    // Each duplicate in one trace: the 409 came while the first request held the key, the replay after.
    const incoming = (trace: { duplicates: { direction: string; correlation_id: string }[] }) =>
      trace.duplicates.filter((d) => d.direction === 'incoming').map((d) => d.correlation_id);
    expect(incoming(takerTrace)).toEqual([replay.correlationId]);

    const firstTrace = await explore(first);
    expect(firstTrace.tasks).toEqual([expect.objectContaining({ task_id: taskId, enqueued_by: first })]);
    expect(firstTrace.takeovers).toEqual([
      expect.objectContaining({
        direction: 'taken_from',
        correlation_id: taker.correlationId,
        original_correlation_id: first,
      }),
    ]);
    expect(incoming(firstTrace)).toEqual([conflict.correlationId]);

    const plain = await runExplore(['--logs', cluster.logDir, '--plain', taker.correlationId]);
    expect(plain.stdout).toContain(`by request ${shortId(first, 16)}`);
    expect(plain.stdout).toContain('was a no-op: the job existed already');
    expect(plain.stdout).toMatch(/took over key \S+ from request/);
  }, 120_000);
});
