import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readStoredResult } from '../../workload/locks/result-store.ts';
import { waitFor } from '../utils/wait.ts';
import { lineOf, taskLines, varData, withAction, workerTestbed } from './worker-harness.ts';

const bed = workerTestbed({ harnessPerTest: true });

// A lease far longer than the test: the only way the redelivered attempt gets the lock in time
// is to take it over from the dead attempt of its own job.
const LONG_LEASE = { DTQ_LOCK_TTL_MS: '300000' };

describe('a later attempt of a job whose earlier attempt died holding the lock', () => {
  it('takes the lock over at once with the next fence (no lock.contended), and its write is the one stored', async () => {
    const workers = [
      await bed.harness.spawnWorker('worker-1', LONG_LEASE),
      await bed.harness.spawnWorker('worker-2', LONG_LEASE),
    ];
    const releaseKey = `test:release:${randomUUID()}`;
    const portfolio = `takeover-${randomUUID()}`;
    const task = await bed.producer.enqueue(
      'calculate_var',
      varData(portfolio, { fault: { sleep_ms: 300_000, sleep_until_key: releaseKey } }),
      { priority: 'high' },
    );
    const first = await lineOf(bed.harness, task.taskId, 'lock.acquired');
    expect(first['lock.fencing_token']).toBe(1);
    const victim = workers.find((w) => w.instance === first['service.instance']);
    const survivor = workers.find((w) => w.instance !== first['service.instance']);
    if (victim === undefined || survivor === undefined) throw new Error('lock taken by an unknown instance');
    // Held before its write until the test sets releaseKey, so it dies holding the lock.
    victim.signal('SIGKILL');
    await victim.exited;

    const second = await waitFor(
      'the redelivered attempt to take the lock',
      () =>
        withAction(taskLines(bed.harness.lines(), task.taskId), 'lock.acquired').find(
          (l) => l['service.instance'] === survivor.instance,
        ),
      { timeoutMs: 60_000 },
    );
    expect(second).toMatchObject({ correlation_id: task.correlationId, 'lock.fencing_token': 2 });
    expect(String(second.message)).toMatch(/taken over from an earlier attempt \(token 1\)/);
    expect(withAction(taskLines(bed.harness.lines(), task.taskId), 'lock.contended')).toHaveLength(0);

    await bed.client.set(releaseKey, '1');
    const { job } = await bed.producer.finished('high', task.taskId, ['completed'], 60_000);
    expect(job.returnvalue).toMatchObject({ status: 'computed', fencing_token: 2 });
    const written = await lineOf(bed.harness, task.taskId, 'result.written');
    expect(written).toMatchObject({ 'service.instance': survivor.instance, 'lock.fencing_token': 2 });
    const stored = await readStoredResult(bed.client, `calculate_var:portfolio:${portfolio}`);
    expect(stored).toMatchObject({ fence: 2, writes: 1, task_id: task.taskId, correlation_id: task.correlationId });
  }, 180_000);
});
