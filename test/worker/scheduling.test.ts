import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';
import { createHarness, createProducer, type Harness, varData, withAction } from './worker-harness.ts';

let redis: TestRedis;
let producer: ReturnType<typeof createProducer>;
let harness: Harness;

beforeAll(async () => {
  redis = await startRedis();
  producer = createProducer(redis.url);
  harness = createHarness(redis.url);
});
afterAll(async () => {
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

  it('a job computing longer than the BullMQ job lock is never reported stalled: the event loop stays free', async () => {
    // A 1 s job lock, renewed every 500 ms by BullMQ on the main thread, while 1M simulations
    // × 60 correlated positions run for seconds on the compute thread.
    await harness.spawnWorker('worker-heavy', { DTQ_JOB_LOCK_MS: '1000', DTQ_STALLED_INTERVAL_MS: '500' });
    const positions = Array.from({ length: 60 }, (_, i) => ({ symbol: `S${i}`, quantity: 10, price: 100 }));
    // A dense matrix: without one the kernel skips the correlated draw, and a fast machine
    // finished in under the 1 s this test needs the job to outlast.
    const correlations = positions.map((_, i) => positions.map((__, j) => (i === j ? 1 : 0.3)));
    const task = await producer.enqueue(
      'calculate_var',
      {
        portfolio_data: { portfolio_id: `heavy-${Date.now()}`, positions, correlations },
        simulations: 1_000_000,
        seed: 1,
      },
      { priority: 'high' },
    );
    await waitFor(
      'the heavy job to complete',
      () => withAction(harness.lines(), 'task.completed').find((l) => l.task_id === task.taskId),
      { timeoutMs: 60_000 },
    );
    const lines = harness.lines().filter((l) => l.task_id === task.taskId);
    const completed = withAction(lines, 'task.completed')[0];
    expect(Number(completed?.['event.duration'])).toBeGreaterThan(1e9);
    expect(withAction(lines, 'task.started')).toHaveLength(1);
    expect(withAction(lines, 'task.stalled')).toHaveLength(0);
  });
});
