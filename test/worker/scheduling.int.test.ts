import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS_PER_MS } from '../../contract/vocabulary.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';
import { createHarness, createProducer, type Harness, lineOf, varData, withAction } from './worker-harness.ts';

let redis: TestRedis;
let producer: ReturnType<typeof createProducer>;
let harness: Harness;
/** The test's own connection, for release keys. */
let control: Redis;

beforeAll(async () => {
  redis = await startRedis();
  producer = createProducer(redis.url);
  harness = createHarness(redis.url);
  control = new Redis(redis.url);
});
afterAll(async () => {
  control.disconnect();
  await producer.close();
  await harness.cleanup();
  await redis.close();
});

describe('scheduling', () => {
  it('under a backlog, high jobs start before low ones on average (priority by capacity)', async () => {
    const N = 10;
    const tasks: Awaited<ReturnType<typeof producer.enqueue>>[] = [];
    // The backlog exists before any worker runs; high and low interleaved in enqueue order.
    for (let i = 0; i < N; i++) {
      for (const priority of ['low', 'high'] as const) {
        const data = varData(`prio-${priority}-${i}-${Date.now()}`, { simulations: 50_000, seed: i + 1 });
        tasks.push(await producer.enqueue('calculate_var', data, { priority }));
      }
    }
    const worker = await harness.spawnWorker('worker-1', { DTQ_WORKER_THREADS: '1' });
    await waitFor('the backlog to drain', () => withAction(harness.lines(), 'task.completed').length >= 2 * N, {
      timeoutMs: 60_000,
    });
    const startedAt = new Map(
      withAction(harness.lines(), 'task.started').map((l) => [l.task_id, Date.parse(String(l['@timestamp']))]),
    );
    const t0 = Math.min(...startedAt.values());
    const mean = (priority: string) => {
      const own = tasks.filter((t) => t.priority === priority).map((t) => (startedAt.get(t.taskId) ?? Number.NaN) - t0);
      return own.reduce((a, b) => a + b, 0) / own.length;
    };
    const high = mean('high');
    const low = mean('low');
    console.info(`mean start after the first start: high ${high.toFixed(0)} ms, low ${low.toFixed(0)} ms`);
    expect(high).toBeLessThan(low);
    worker.signal('SIGTERM');
    expect(await worker.exited).toBe(0);
  });

  it('a job held across several BullMQ lock periods is never reported stalled, and completes once when released', async () => {
    // BullMQ renews the job lock every LOCK_MS / 2 on the worker's event loop; the stalled
    // checker runs every LOCK_MS / 2 too. The job pauses after computing until the test creates
    // its release key, so it provably outlasts HELD_PERIODS lock periods, however fast the machine.
    const LOCK_MS = 2000;
    const HELD_PERIODS = 4;
    await harness.spawnWorker('worker-held', {
      DTQ_JOB_LOCK_MS: String(LOCK_MS),
      DTQ_STALLED_INTERVAL_MS: String(LOCK_MS / 2),
    });
    const releaseKey = `dtq:test:release:${randomUUID()}`;
    const task = await producer.enqueue(
      'calculate_var',
      varData(`held-${randomUUID()}`, { fault: { sleep_ms: 120_000, sleep_until_key: releaseKey } }),
      { priority: 'high', attempts: 1 },
    );
    await lineOf(harness, task.taskId, 'lock.acquired');
    await sleep(HELD_PERIODS * LOCK_MS);

    expect(await producer.queue('high').getJobState(task.taskId)).toBe('active');
    const held = harness.lines().filter((l) => l.task_id === task.taskId);
    expect(withAction(held, 'task.stalled')).toHaveLength(0);
    expect(withAction(held, 'task.completed')).toHaveLength(0);

    await control.set(releaseKey, '1');
    const { job, state } = await producer.finished('high', task.taskId);
    expect(state).toBe('completed');
    expect(job.stalledCounter).toBe(0);
    expect(job.attemptsStarted).toBe(1);
    const lines = harness.lines().filter((l) => l.task_id === task.taskId);
    expect(withAction(lines, 'task.started')).toHaveLength(1);
    expect(withAction(lines, 'task.completed')).toHaveLength(1);
    expect(withAction(lines, 'task.stalled')).toHaveLength(0);
    expect(Number(withAction(lines, 'task.completed')[0]?.['event.duration'])).toBeGreaterThanOrEqual(
      HELD_PERIODS * LOCK_MS * NS_PER_MS,
    );
  });
});
