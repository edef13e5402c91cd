import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readStoredResult } from '../../workload/locks/result-store.ts';
import { waitFor } from '../utils/wait.ts';
import { lineOf, taskLines, varData, withAction, workerTestbed } from './worker-harness.ts';

const bed = workerTestbed({ appendonly: true, harnessPerTest: true });

describe('a job running while Redis stops', () => {
  it('fails that attempt with DTQ_ERR_WORKER_REDIS_UNAVAILABLE, and the retry takes over the lock it left at once', async () => {
    // A lease far longer than the test, and a BullMQ job lock long enough that the outage does not
    // turn the failure into a stall: the retry can only get the lock by taking it over.
    await bed.harness.spawnWorker('worker-1', { DTQ_LOCK_TTL_MS: '300000', DTQ_JOB_LOCK_MS: '60000' });
    const releaseKey = `test:release:${randomUUID()}`;
    const portfolio = `outage-${randomUUID()}`;
    const task = await bed.producer.enqueue(
      'calculate_var',
      varData(portfolio, { fault: { sleep_ms: 300_000, sleep_until_key: releaseKey } }),
      { priority: 'high', attempts: 3 },
    );
    const lines = () => taskLines(bed.harness.lines(), task.taskId);
    const first = await lineOf(bed.harness, task.taskId, 'lock.acquired');
    expect(first['lock.fencing_token']).toBe(1);

    // Stopped (AOF kept) while attempt 1 holds before its write. The attempt is over, its write
    // failed, once it logs that it left the lock to expire; only then does Redis come back.
    await bed.redis.stop();
    const left = await waitFor(
      'attempt 1 to give up its lock with Redis unreachable',
      () => withAction(lines(), 'lock.released').find((l) => /Redis unreachable/.test(String(l.message))),
      { timeoutMs: 30_000 },
    );
    expect(left['lock.fencing_token']).toBe(1);
    await bed.redis.start();

    const failed = await lineOf(bed.harness, task.taskId, 'task.failed', 60_000);
    expect(failed).toMatchObject({
      'task.attempt': 1,
      'error.code': 'DTQ_ERR_WORKER_REDIS_UNAVAILABLE',
      correlation_id: task.correlationId,
    });
    expect(String(failed['error.message'])).toMatch(/^Redis did not answer while the task ran \(/);

    const second = await waitFor(
      'attempt 2 to take the lock',
      () => withAction(lines(), 'lock.acquired').find((l) => l['lock.fencing_token'] !== 1),
      { timeoutMs: 60_000 },
    );
    expect(second).toMatchObject({ 'task.attempt': 2, 'lock.fencing_token': 2 });
    expect(String(second.message)).toMatch(/taken over from an earlier attempt \(token 1\)/);

    await bed.client.set(releaseKey, '1');
    const { job } = await bed.producer.finished('high', task.taskId, ['completed'], 60_000);
    expect(job.returnvalue).toMatchObject({ status: 'computed', fencing_token: 2 });
    expect(await readStoredResult(bed.client, `calculate_var:portfolio:${portfolio}`)).toMatchObject({
      fence: 2,
      writes: 1,
    });
  }, 240_000);
});
