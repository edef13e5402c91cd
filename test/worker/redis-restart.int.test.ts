import { describe, expect, it } from 'vitest';
import { readStoredResult } from '../../workload/locks/result-store.ts';
import { waitFor } from '../utils/wait.ts';
import { criticalSections, lineOf, varData, withAction, workerTestbed } from './worker-harness.ts';

const bed = workerTestbed({
  // Append-only file: a restarted Redis comes back with its locks, fencing counters and queues,
  // as a production Redis with persistence would.
  appendonly: true,
  workers: ['worker-1', 'worker-2'],
  // Longer leases than the other tests: a one-second outage must not by itself cost every lease.
  workerEnv: { DTQ_LOCK_TTL_MS: '4000', DTQ_JOB_LOCK_MS: '4000', DTQ_STALLED_INTERVAL_MS: '1000' },
});

describe('Redis restarted mid-run', () => {
  it('workers resume, every job completes, and no lock is ever granted twice', async () => {
    const portfolio = `restart-${Date.now()}`;
    const K = 6;
    const tasks: Awaited<ReturnType<typeof bed.producer.enqueue>>[] = [];
    for (let k = 0; k < K; k++) {
      tasks.push(
        await bed.producer.enqueue('calculate_var', varData(portfolio, { seed: 100 + k, fault: { sleep_ms: 400 } }), {
          priority: 'high',
          attempts: 5,
        }),
      );
    }
    const resource = `calculate_var:portfolio:${portfolio}`;
    await waitFor('two critical sections to finish', () =>
      withAction(bed.harness.lines(), 'lock.released').filter((l) => l['lock.resource'] === resource).length >= 2
        ? true
        : undefined,
    );
    await bed.redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await bed.redis.start();

    for (const task of tasks) {
      await bed.producer.finished('high', task.taskId, ['completed'], 90_000);
      await lineOf(bed.harness, task.taskId, 'task.completed');
    }

    const lines = bed.harness.lines();
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
    // Opened only now, after the restart: nothing of the outage reaches this client.
    const stored = await readStoredResult(bed.client, resource);
    expect(stored?.writes).toBeGreaterThanOrEqual(K);
    expect(stored?.fence).toBe(Math.max(...fences));
  });
});
