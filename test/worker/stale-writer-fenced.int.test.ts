import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readStoredResult } from '../../workload/locks/result-store.ts';
import { monitorRedis } from '../utils/redis-monitor.ts';
import { waitFor } from '../utils/wait.ts';
import {
  existsPollers,
  type LogLine,
  lineOf,
  taskLines,
  varData,
  withAction,
  workerTestbed,
} from './worker-harness.ts';

const bed = workerTestbed({ harnessPerTest: true });

describe('a worker frozen past its lease, resumed before the redelivered attempt writes', () => {
  it('is refused (result.write_rejected with its fence 1); the redelivered attempt’s write is the one stored and logged (result.written, fence 2)', async () => {
    const workers = [await bed.harness.spawnWorker('worker-1'), await bed.harness.spawnWorker('worker-2')];
    const releaseKey = `test:release:${randomUUID()}`;
    const portfolio = `stale-${randomUUID()}`;
    // Each attempt computes, then holds before its fenced write until the test sets releaseKey.
    // It polls for the key (EXISTS) on its lock connection: MONITOR shows which worker is holding.
    const monitor = await monitorRedis(bed.redis.url);
    try {
      const task = await bed.producer.enqueue(
        'calculate_var',
        varData(portfolio, { fault: { sleep_ms: 300_000, sleep_until_key: releaseKey } }),
        { priority: 'high' },
      );
      const lines = (): LogLine[] => taskLines(bed.harness.lines(), task.taskId);
      const from = (instance: string, action: string) =>
        withAction(lines(), action).filter((l) => l['service.instance'] === instance);

      const first = await lineOf(bed.harness, task.taskId, 'lock.acquired');
      expect(first['lock.fencing_token']).toBe(1);
      const a = workers.find((w) => w.instance === first['service.instance']);
      const b = workers.find((w) => w.instance !== first['service.instance']);
      if (a === undefined || b === undefined) throw new Error('lock taken by an unknown instance');

      // A has computed and holds before its write: freeze it there, past its lease (3 s) and its
      // BullMQ job lock (4 s), so B's stalled check redelivers the job.
      const aConnection = await waitFor(
        'worker A to hold before its write',
        () => existsPollers(monitor, releaseKey)[0],
        { timeoutMs: 30_000 },
      );
      a.signal('SIGSTOP');
      const bAcquired = await waitFor('worker B to take the lock', () => from(b.instance, 'lock.acquired')[0], {
        timeoutMs: 30_000,
      });
      expect(bAcquired).toMatchObject({ correlation_id: task.correlationId, 'lock.fencing_token': 2 });
      await waitFor(
        'worker B to hold before its write',
        () => existsPollers(monitor, releaseKey).find((h) => h !== aConnection),
        {
          timeoutMs: 30_000,
        },
      );

      // A resumes while B, holding fence 2, has not written.
      a.signal('SIGCONT');
      const rejected = await waitFor(
        'worker A’s write to be refused',
        () => from(a.instance, 'result.write_rejected')[0],
        {
          timeoutMs: 30_000,
        },
      );
      expect(rejected).toMatchObject({ correlation_id: task.correlationId, 'lock.fencing_token': 1 });
      expect(String(rejected.message)).toMatch(/fencing token 1 is older than 2/);
      expect(withAction(lines(), 'result.written')).toHaveLength(0);
      expect(await readStoredResult(bed.client, `calculate_var:portfolio:${portfolio}`)).toBeUndefined();

      // B is released and writes: accepted, logged, and the only result stored.
      await bed.client.set(releaseKey, '1');
      const { job } = await bed.producer.finished('high', task.taskId, ['completed'], 60_000);
      expect(job.returnvalue).toMatchObject({ status: 'computed', fencing_token: 2 });
      const written = await lineOf(bed.harness, task.taskId, 'result.written');
      expect(written).toMatchObject({
        'service.instance': b.instance,
        correlation_id: task.correlationId,
        'lock.fencing_token': 2,
      });
      expect(withAction(lines(), 'result.written')).toHaveLength(1);
      expect(from(a.instance, 'result.written')).toHaveLength(0);
      const stored = await readStoredResult(bed.client, `calculate_var:portfolio:${portfolio}`);
      expect(stored).toEqual({
        fence: 2,
        result: (job.returnvalue as { result: unknown }).result,
        task_id: task.taskId,
        correlation_id: task.correlationId,
        writes: 1,
      });
    } finally {
      await monitor.close();
    }
  }, 180_000);
});
