import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStoredResult } from '../../workload/locks/result-store.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';
import {
  createHarness,
  createProducer,
  criticalSections,
  type Harness,
  lineOf,
  varData,
  withAction,
} from './worker-harness.ts';

let redis: TestRedis;
let harness: Harness;
let producer: ReturnType<typeof createProducer>;

// Longer leases than the other tests: a one-second outage must not by itself cost every lease.
const ENV = { DTQ_LOCK_TTL_MS: '4000', DTQ_JOB_LOCK_MS: '4000', DTQ_STALLED_INTERVAL_MS: '1000' };

beforeAll(async () => {
  // Append-only file: a restarted Redis comes back with its locks, fencing counters and queues,
  // as a production Redis with persistence would.
  redis = await startRedis({ appendonly: true });
  harness = createHarness(redis.url);
  producer = createProducer(redis.url);
  await harness.spawnWorker('worker-1', ENV);
  await harness.spawnWorker('worker-2', ENV);
});
afterAll(async () => {
  await producer.close();
  await harness.cleanup();
  await redis.close();
});

describe('Redis restarted mid-run', () => {
  it('workers resume, every job completes, and no lock is ever granted twice', async () => {
    const portfolio = `restart-${Date.now()}`;
    const K = 6;
    const tasks: Awaited<ReturnType<typeof producer.enqueue>>[] = [];
    for (let k = 0; k < K; k++) {
      tasks.push(
        await producer.enqueue('calculate_var', varData(portfolio, { seed: 100 + k, fault: { sleep_ms: 400 } }), {
          priority: 'high',
          attempts: 5,
        }),
      );
    }
    const resource = `calculate_var:portfolio:${portfolio}`;
    await waitFor('two critical sections to finish', () =>
      withAction(harness.lines(), 'lock.released').filter((l) => l['lock.resource'] === resource).length >= 2
        ? true
        : undefined,
    );
    await redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await redis.start();

    for (const task of tasks) {
      await producer.finished('high', task.taskId, ['completed'], 90_000);
      await lineOf(harness, task.taskId, 'task.completed');
    }

    const lines = harness.lines();
    expect(withAction(lines, 'dependency.unavailable').length).toBeGreaterThan(0);
    const sections = criticalSections(lines, resource);
    const fences = sections.map((s) => s.fence);
    expect(new Set(fences).size).toBe(fences.length);
    for (let i = 1; i < sections.length; i++) {
      const previous = sections[i - 1];
      const current = sections[i];
      // A section whose end was never logged (its process was cut off) cannot be checked.
      if (previous === undefined || current === undefined || Number.isNaN(previous.exit)) continue;
      expect(current.enter).toBeGreaterThanOrEqual(previous.exit - 1);
    }
    for (const task of tasks) {
      expect(withAction(lines, 'task.completed').filter((l) => l.task_id === task.taskId)).toHaveLength(1);
    }
    const client = new Redis(redis.url);
    try {
      const stored = await readStoredResult(client, resource);
      expect(stored?.writes).toBeGreaterThanOrEqual(K);
      expect(stored?.fence).toBe(Math.max(...fences));
    } finally {
      client.disconnect();
    }
  });
});
