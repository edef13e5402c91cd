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
let client: Redis;

beforeAll(async () => {
  redis = await startRedis();
  harness = createHarness(redis.url);
  producer = createProducer(redis.url);
  client = new Redis(redis.url);
  await Promise.all(['worker-1', 'worker-2', 'worker-3'].map((name) => harness.spawnWorker(name)));
});
afterAll(async () => {
  client.disconnect();
  await producer.close();
  await harness.cleanup();
  await redis.close();
});

describe('three workers contending for one portfolio', () => {
  it('serialise K jobs: no overlapping critical sections, one fencing token per grant, contention logged with the holder', async () => {
    const portfolio = `contended-${Date.now()}`;
    const K = 6;
    const tasks = await Promise.all(
      Array.from({ length: K }, (_, k) =>
        producer.enqueue('calculate_var', varData(portfolio, { seed: k + 1, fault: { sleep_ms: 150 } }), {
          priority: 'high',
        }),
      ),
    );
    for (const task of tasks) {
      await producer.finished('high', task.taskId, ['completed']);
      await lineOf(harness, task.taskId, 'task.completed');
    }
    const resource = `calculate_var:portfolio:${portfolio}`;
    const sections = criticalSections(harness.lines(), resource);
    expect(sections.map((s) => s.fence)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(sections.map((s) => s.task)).size).toBe(K);
    for (let i = 1; i < sections.length; i++) {
      // Lines carry millisecond timestamps and the release line is written just after the
      // DEL, so a successor may log its grant up to a millisecond "before" it.
      expect(sections[i]?.enter).toBeGreaterThanOrEqual((sections[i - 1]?.exit ?? Number.NaN) - 1);
    }
    const instances = new Set(
      withAction(harness.lines(), 'lock.acquired')
        .filter((l) => l['lock.resource'] === resource)
        .map((l) => l['service.instance']),
    );
    expect(instances.size).toBeGreaterThan(1);

    const contended = withAction(harness.lines(), 'lock.contended').filter((l) => l['lock.resource'] === resource);
    expect(contended.length).toBeGreaterThan(0);
    const ids = new Map<string, string>(tasks.map((t) => [t.taskId, t.correlationId]));
    for (const line of contended) {
      expect(ids.get(String(line['original.task_id']))).toBe(line['original.correlation_id']);
      expect(line['original.task_id']).not.toBe(line.task_id);
    }
    expect(await readStoredResult(client, resource)).toMatchObject({ fence: 6, writes: K });
  });

  it('single-flight: a second job with the same inputs returns the first one’s result, logged as a cache hit', async () => {
    const data = varData(`cached-${Date.now()}`, { seed: 42 });
    const first = await producer.enqueue('calculate_var', data, { priority: 'high' });
    const done = async (taskId: string) => {
      const { job } = await producer.finished('high', taskId, ['completed']);
      await lineOf(harness, taskId, 'task.completed');
      return job;
    };
    const original = await done(first.taskId);
    const second = await producer.enqueue('calculate_var', data, { priority: 'high' });
    const duplicate = await done(second.taskId);
    expect(duplicate.returnvalue).toMatchObject({
      status: 'cache_hit',
      original_task_id: first.taskId,
      original_correlation_id: first.correlationId,
      result: (original.returnvalue as { result: unknown }).result,
    });
    const hit = await lineOf(harness, second.taskId, 'result.cache_hit');
    expect(hit).toMatchObject({
      correlation_id: second.correlationId,
      'original.task_id': first.taskId,
      'original.correlation_id': first.correlationId,
    });
  });

  it('skip policy: an identical option-pricing job arriving while the first runs is answered already_processing', async () => {
    const data = { spot: 100, strike: 95, volatility: 0.3, maturity: 1, simulations: 5000, seed: Date.now() % 1e9 };
    const first = await producer.enqueue(
      'monte_carlo_pricing',
      { ...data, fault: { sleep_ms: 2000 } },
      { priority: 'high' },
    );
    await waitFor('the first to hold its lock', () =>
      withAction(harness.lines(), 'lock.acquired').some((l) => l.task_id === first.taskId),
    );
    const second = await producer.enqueue('monte_carlo_pricing', data, { priority: 'high' });
    const { job } = await producer.finished('high', second.taskId, ['completed']);
    expect(job.returnvalue).toMatchObject({
      status: 'already_processing',
      original_task_id: first.taskId,
      original_correlation_id: first.correlationId,
    });
    expect(
      withAction(harness.lines(), 'lock.contended').some(
        (l) => l.task_id === second.taskId && l['original.task_id'] === first.taskId,
      ),
    ).toBe(true);
  });
});
