import { describe, expect, it } from 'vitest';
import { readStoredResult } from '../../workload/locks/result-store.ts';
import { waitFor } from '../utils/wait.ts';
import { criticalSections, lineOf, varData, withAction, workerTestbed } from './worker-harness.ts';

const bed = workerTestbed({ workers: ['worker-1', 'worker-2', 'worker-3'] });

describe('three workers contending for one portfolio', () => {
  it('serialise K jobs: no overlapping critical sections, one fencing token per grant, contention logged with the holder', async () => {
    const portfolio = `contended-${Date.now()}`;
    const K = 6;
    const tasks = await Promise.all(
      Array.from({ length: K }, (_, k) =>
        bed.producer.enqueue('calculate_var', varData(portfolio, { seed: k + 1, fault: { sleep_ms: 150 } }), {
          priority: 'high',
        }),
      ),
    );
    for (const task of tasks) {
      await bed.producer.finished('high', task.taskId, ['completed']);
      await lineOf(bed.harness, task.taskId, 'task.completed');
    }
    const resource = `calculate_var:portfolio:${portfolio}`;
    const sections = criticalSections(bed.harness.lines(), resource);
    expect(sections.map((s) => s.fence)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(sections.map((s) => s.task)).size).toBe(K);
    for (let i = 1; i < sections.length; i++) {
      // Lines carry millisecond timestamps and the release line is written just after the
      // DEL, so a successor may log its grant up to a millisecond "before" it.
      expect(sections[i]?.enter).toBeGreaterThanOrEqual((sections[i - 1]?.exit ?? Number.NaN) - 1);
    }
    const instances = new Set(
      withAction(bed.harness.lines(), 'lock.acquired')
        .filter((l) => l['lock.resource'] === resource)
        .map((l) => l['service.instance']),
    );
    expect(instances.size).toBeGreaterThan(1);

    const contended = withAction(bed.harness.lines(), 'lock.contended').filter((l) => l['lock.resource'] === resource);
    expect(contended.length).toBeGreaterThan(0);
    const ids = new Map<string, string>(tasks.map((t) => [t.taskId, t.correlationId]));
    for (const line of contended) {
      expect(ids.get(String(line['original.task_id']))).toBe(line['original.correlation_id']);
      expect(line['original.task_id']).not.toBe(line.task_id);
    }
    expect(await readStoredResult(bed.client, resource)).toMatchObject({ fence: 6, writes: K });
  });

  it('single-flight: a second job with the same inputs returns the first one’s result, logged as a cache hit', async () => {
    const data = varData(`cached-${Date.now()}`, { seed: 42 });
    const first = await bed.producer.enqueue('calculate_var', data, { priority: 'high' });
    const done = async (taskId: string) => {
      const { job } = await bed.producer.finished('high', taskId, ['completed']);
      await lineOf(bed.harness, taskId, 'task.completed');
      return job;
    };
    const original = await done(first.taskId);
    const second = await bed.producer.enqueue('calculate_var', data, { priority: 'high' });
    const duplicate = await done(second.taskId);
    expect(duplicate.returnvalue).toMatchObject({
      status: 'cache_hit',
      original_task_id: first.taskId,
      original_correlation_id: first.correlationId,
      result: (original.returnvalue as { result: unknown }).result,
    });
    const hit = await lineOf(bed.harness, second.taskId, 'result.cache_hit');
    expect(hit).toMatchObject({
      correlation_id: second.correlationId,
      'original.task_id': first.taskId,
      'original.correlation_id': first.correlationId,
    });
  });

  it('skip policy: an identical option-pricing job arriving while the first runs is answered already_processing', async () => {
    const data = { spot: 100, strike: 95, volatility: 0.3, maturity: 1, simulations: 5000, seed: Date.now() % 1e9 };
    const first = await bed.producer.enqueue(
      'monte_carlo_pricing',
      { ...data, fault: { sleep_ms: 2000 } },
      { priority: 'high' },
    );
    await waitFor('the first to hold its lock', () =>
      withAction(bed.harness.lines(), 'lock.acquired').some((l) => l.task_id === first.taskId),
    );
    const second = await bed.producer.enqueue('monte_carlo_pricing', data, { priority: 'high' });
    const { job } = await bed.producer.finished('high', second.taskId, ['completed']);
    expect(job.returnvalue).toMatchObject({
      status: 'already_processing',
      original_task_id: first.taskId,
      original_correlation_id: first.correlationId,
    });
    expect(
      withAction(bed.harness.lines(), 'lock.contended').some(
        (l) => l.task_id === second.taskId && l['original.task_id'] === first.taskId,
      ),
    ).toBe(true);
  });
});
