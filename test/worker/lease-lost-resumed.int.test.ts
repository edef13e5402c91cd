/**
 * A worker frozen (SIGSTOP) past its leases and resumed (SIGCONT) while the redelivered attempt
 * holds the job: every line the resumed worker writes about the job names the job (correlation
 * id, task id, attempt 1, fencing token 1) — the lost job lock, the stand-still, the lost resource
 * lease, the refused write and the refused end — and dtq-explore shows attempt 1 as a lease lost
 * and resumed, not as a worker that died.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { ensureBuilt, runExplore } from '../explorer/binary.ts';
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

beforeAll(() => {
  ensureBuilt();
}, 120_000);

/**
 * Two workers, a calculate_var task whose attempt pauses before its write until `releaseKey`
 * exists, and a monitor on Redis; waits for the first attempt's lock. Worker A holds it.
 */
async function pausedTaskOnTwoWorkers(portfolioPrefix: string) {
  const workers = [await bed.harness.spawnWorker('worker-1'), await bed.harness.spawnWorker('worker-2')];
  const releaseKey = `test:release:${randomUUID()}`;
  const monitor = await monitorRedis(bed.redis.url);
  try {
    const task = await bed.producer.enqueue(
      'calculate_var',
      varData(`${portfolioPrefix}-${randomUUID()}`, { fault: { sleep_ms: 300_000, sleep_until_key: releaseKey } }),
      { priority: 'high' },
    );
    const lines = (): LogLine[] => taskLines(bed.harness.lines(), task.taskId);
    const first = await lineOf(bed.harness, task.taskId, 'lock.acquired');
    const a = workers.find((w) => w.instance === first['service.instance']);
    const b = workers.find((w) => w.instance !== first['service.instance']);
    if (a === undefined || b === undefined) throw new Error('lock taken by an unknown instance');
    const fromA = (action: string) => withAction(lines(), action).filter((l) => l['service.instance'] === a.instance);
    return { releaseKey, monitor, task, lines, a, b, fromA };
  } catch (error) {
    await monitor.close();
    throw error;
  }
}

describe('a worker frozen past its leases and resumed while the redelivered attempt holds the job', () => {
  it('logs lease lost, resumed, write rejected and finish refused with the job’s ids, and the explorer shows attempt 1 as lease lost and resumed', async () => {
    const { releaseKey, monitor, task, lines, a, b, fromA } = await pausedTaskOnTwoWorkers('resumed');
    try {
      const aConnection = await waitFor(
        'worker A to hold before its write',
        () => existsPollers(monitor, releaseKey)[0],
        {
          timeoutMs: 30_000,
        },
      );
      a.signal('SIGSTOP');
      await waitFor(
        'worker B to hold the redelivered job before its write',
        () => existsPollers(monitor, releaseKey).find((h) => h !== aConnection),
        { timeoutMs: 30_000 },
      );
      a.signal('SIGCONT');
      const refused = await waitFor(
        'worker A to learn that its end was refused',
        () => fromA('task.finish_refused')[0],
        {
          timeoutMs: 30_000,
        },
      );

      const ids = { correlation_id: task.correlationId, task_id: task.taskId, 'task.attempt': 1 };
      const fenced = { ...ids, 'lock.fencing_token': 1 };
      expect(refused).toMatchObject({
        ...fenced,
        'event.outcome': 'failure',
        'error.code': 'DTQ_ERR_LOCK_WRITE_REJECTED',
      });
      expect(fromA('task.resumed')).toEqual([expect.objectContaining(fenced)]);
      expect(Number(fromA('task.resumed')[0]?.['event.duration'])).toBeGreaterThan(1.5e9);
      expect(fromA('task.lease_lost')).toEqual([expect.objectContaining(fenced)]);
      expect(fromA('result.write_rejected')).toEqual([expect.objectContaining(fenced)]);
      expect(fromA('lock.lost').length).toBeGreaterThanOrEqual(1);
      for (const line of fromA('lock.lost')) expect(line).toMatchObject(fenced);
      // Nothing A wrote about the job is left without its ids (BullMQ's raw lock errors, if logged as worker.error, would be such lines).
      const anonymous = bed.harness
        .lines()
        .filter((l) => l['service.instance'] === a.instance && l['event.action'] === 'worker.error');
      expect(anonymous).toEqual([]);

      await bed.client.set(releaseKey, '1');
      const { job } = await bed.producer.finished('high', task.taskId, ['completed'], 60_000);
      expect(job.returnvalue).toMatchObject({ status: 'computed', fencing_token: 2 });
      await lineOf(bed.harness, task.taskId, 'task.completed');

      // The real explorer on these very logs.
      const dir = mkdtempSync(join(tmpdir(), 'dtq-resumed-'));
      try {
        writeFileSync(
          join(dir, 'workers.ndjson'),
          `${lines()
            .map((l) => JSON.stringify(l))
            .join('\n')}\n`,
        );
        const run = await runExplore(['--logs', dir, '--json', task.correlationId]);
        expect(run.code, run.stderr).toBe(0);
        const trace = JSON.parse(run.stdout);
        const attempts = trace.tasks[0].attempts;
        expect(attempts.map((t: { result: string }) => t.result)).toEqual(['lease_lost', 'succeeded']);
        expect(attempts[0]).toMatchObject({
          instance: a.instance,
          lease: { lost_at: expect.any(String), resumed_at: expect.any(String), finish_refused: true },
          write: { outcome: 'rejected', fencing_token: 1 },
        });
        expect(attempts[0].lease.paused_ms).toBeGreaterThan(1500);
        expect(attempts[1]).toMatchObject({
          instance: b.instance,
          lease: null,
          write: { outcome: 'written', fencing_token: 2 },
        });
        expect(trace.gaps).toEqual([]);
        const plain = await runExplore(['--logs', dir, '--plain', task.correlationId]);
        expect(plain.stdout).toMatch(/attempt 1 · worker-\d .*lease lost .*resumed/);
        expect(plain.stdout).not.toMatch(/worker died/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      await monitor.close();
    }
  }, 180_000);
});

describe('a worker frozen past its leases and resumed after the redelivered attempt finished', () => {
  it('is refused with the job’s ids, and its attempt reads lease lost and resumed, after the attempt that counted', async () => {
    const { releaseKey, monitor, task, lines, a, fromA } = await pausedTaskOnTwoWorkers('resumed-late');
    try {
      await monitor.waitForCommand(
        'worker A to hold before its write',
        (c) => c.args[0] === 'exists' && c.args[1] === releaseKey,
      );
      a.signal('SIGSTOP');
      // The redelivered attempt passes its pause at once, writes and completes while A is frozen.
      await bed.client.set(releaseKey, '1');
      const { job } = await bed.producer.finished('high', task.taskId, ['completed'], 60_000);
      expect(job.returnvalue).toMatchObject({ status: 'computed', fencing_token: 2 });
      await lineOf(bed.harness, task.taskId, 'task.completed');

      a.signal('SIGCONT');
      const refused = await waitFor(
        'worker A to learn that its end was refused',
        () => fromA('task.finish_refused')[0],
        {
          timeoutMs: 30_000,
        },
      );
      const fenced = {
        correlation_id: task.correlationId,
        task_id: task.taskId,
        'task.attempt': 1,
        'lock.fencing_token': 1,
      };
      expect(refused).toMatchObject(fenced);
      expect(fromA('result.write_rejected')).toEqual([expect.objectContaining(fenced)]);
      expect(fromA('task.resumed')).toEqual([expect.objectContaining(fenced)]);

      const trace = buildTrace(
        lines().map((record, i) => ({ source: `workers:${i}`, record })),
        { correlationId: task.correlationId, now: Date.now(), source: 'files' },
      );
      const [attempt1, attempt2] = trace.tasks[0]?.attempts ?? [];
      expect(trace.tasks[0]?.outcome).toBe('succeeded');
      expect(attempt1).toMatchObject({
        instance: a.instance,
        result: 'lease_lost',
        write: { outcome: 'rejected', fencingToken: 1 },
      });
      expect(attempt2).toMatchObject({ result: 'succeeded', write: { outcome: 'written', fencingToken: 2 } });
      expect(attempt1?.lease?.resumedAt).toBeGreaterThan(attempt2?.endedAt ?? Number.POSITIVE_INFINITY);
      expect(attempt1?.lease?.finishRefusedAt).toBeDefined();
      expect(trace.gaps).toEqual([]);
    } finally {
      await monitor.close();
    }
  }, 180_000);
});
