import { describe, expect, it } from 'vitest';
import { readStoredResult } from '../../workload/locks/result-store.ts';
import { monitorRedis } from '../utils/redis-monitor.ts';
import { waitFor } from '../utils/wait.ts';
import {
  type LogLine,
  lineOf,
  taskLines,
  varData,
  type WorkerProcess,
  withAction,
  workerTestbed,
} from './worker-harness.ts';

const bed = workerTestbed({ harnessPerTest: true });

async function completed(taskId: string) {
  const { job } = await bed.producer.finished('high', taskId, ['completed'], 60_000);
  await lineOf(bed.harness, taskId, 'task.completed');
  return job;
}

/** The worker whose log shows it took the task's lock. */
async function holderOf(workers: WorkerProcess[], taskId: string): Promise<WorkerProcess> {
  const line = await waitFor(
    'a worker to take the lock',
    () => withAction(taskLines(bed.harness.lines(), taskId), 'lock.acquired')[0],
  );
  const worker = workers.find((w) => w.instance === line['service.instance']);
  if (worker === undefined) throw new Error('lock taken by an unknown instance');
  return worker;
}

describe('a worker that dies or freezes mid-job', () => {
  it('kill -9: the job is redelivered to another worker, both attempts share the correlation id, the result is written once', async () => {
    const workers = [await bed.harness.spawnWorker('worker-1'), await bed.harness.spawnWorker('worker-2')];
    const portfolio = `crash-${Date.now()}`;
    const task = await bed.producer.enqueue('calculate_var', varData(portfolio, { fault: { sleep_ms: 2500 } }), {
      priority: 'high',
    });
    const victim = await holderOf(workers, task.taskId);
    victim.signal('SIGKILL');
    const job = await completed(task.taskId);
    expect(job.returnvalue).toMatchObject({ status: 'computed', fencing_token: 2 });

    const lines = taskLines(bed.harness.lines(), task.taskId);
    const starts = withAction(lines, 'task.started');
    expect(starts).toHaveLength(2);
    expect(new Set(lines.map((l) => l.correlation_id))).toEqual(new Set([task.correlationId]));
    expect(starts[0]?.['service.instance']).toBe(victim.instance);
    expect(starts[1]?.['service.instance']).not.toBe(victim.instance);
    expect(starts[1]?.['task.redelivered']).toBe(true);
    expect(withAction(lines, 'task.stalled').length).toBeGreaterThanOrEqual(1);
    expect(withAction(lines, 'task.completed')).toHaveLength(1);
    const stored = await readStoredResult(bed.client, `calculate_var:portfolio:${portfolio}`);
    expect(stored).toMatchObject({ writes: 1, fence: 2, task_id: task.taskId, correlation_id: task.correlationId });
  });

  it('SIGSTOP past the lease: a second worker takes the lock, and the resumed worker is fenced off and logs lock.lost', async () => {
    const workers = [await bed.harness.spawnWorker('worker-1'), await bed.harness.spawnWorker('worker-2')];
    const portfolio = `pause-${Date.now()}`;
    const release = `release-${portfolio}`;
    const monitor = await monitorRedis(bed.redis.url);
    const task = await bed.producer.enqueue(
      'calculate_var',
      varData(portfolio, { fault: { sleep_ms: 60_000, sleep_until_key: release } }),
      { priority: 'high' },
    );
    const frozen = await holderOf(workers, task.taskId);
    // Its first poll of the release key proves it computed and is in the pause between computing
    // and writing (no other worker has the job yet): freeze it there.
    await monitor.waitForCommand(
      'the holder to poll its release key',
      (c) => c.args[0] === 'exists' && c.args[1] === release,
    );
    await monitor.close();
    frozen.signal('SIGSTOP');
    // The worker that takes over passes its own pause at once.
    await bed.client.set(release, '1');

    const job = await completed(task.taskId);
    expect(job.returnvalue).toMatchObject({ status: 'computed', fencing_token: 2 });
    const other = withAction(taskLines(bed.harness.lines(), task.taskId), 'lock.acquired').find(
      (l) => l['service.instance'] !== frozen.instance,
    );
    expect(other?.['lock.fencing_token']).toBe(2);

    frozen.signal('SIGCONT');
    const fromFrozen = (): LogLine[] =>
      taskLines(bed.harness.lines(), task.taskId).filter((l) => l['service.instance'] === frozen.instance);
    await waitFor('the resumed worker to be fenced off', () => withAction(fromFrozen(), 'result.write_rejected')[0], {
      timeoutMs: 15_000,
    });
    const rejected = withAction(fromFrozen(), 'result.write_rejected')[0];
    expect(rejected).toMatchObject({ correlation_id: task.correlationId, 'lock.fencing_token': 1 });
    expect(withAction(fromFrozen(), 'lock.lost').length).toBeGreaterThanOrEqual(1);

    const stored = await readStoredResult(bed.client, `calculate_var:portfolio:${portfolio}`);
    expect(stored).toMatchObject({ fence: 2, writes: 1 });
  });

  it('a lease lost while computing abandons the work: lock.lost, no write, the newer holder’s result stands', async () => {
    const workers = [await bed.harness.spawnWorker('worker-1'), await bed.harness.spawnWorker('worker-2')];
    const portfolio = `abandon-${Date.now()}`;
    const monitor = await monitorRedis(bed.redis.url);
    // Seconds of computation on one thread: the worker is frozen in the middle of it.
    const positions = Array.from({ length: 40 }, (_, i) => ({ symbol: `S${i}`, quantity: 10, price: 100 }));
    const task = await bed.producer.enqueue(
      'calculate_var',
      { portfolio_data: { portfolio_id: portfolio, positions }, simulations: 1_000_000, seed: 3 },
      { priority: 'high' },
    );
    const frozen = await holderOf(workers, task.taskId);
    // Reading the result cache is its last Redis command before the computation (no other worker
    // has the job): frozen right after it, it is frozen in, or just before, those seconds of work.
    await monitor.waitForCommand(
      'the holder to check the result cache',
      (c) => c.args[0] === 'get' && c.args[1]?.startsWith('dtq:cache:') === true,
    );
    await monitor.close();
    frozen.signal('SIGSTOP');
    const job = await completed(task.taskId);
    expect(job.returnvalue).toMatchObject({ status: 'computed', fencing_token: 2 });

    frozen.signal('SIGCONT');
    const fromFrozen = (): LogLine[] =>
      taskLines(bed.harness.lines(), task.taskId).filter((l) => l['service.instance'] === frozen.instance);
    const lost = await waitFor(
      'the resumed worker to notice its lease is gone',
      () => withAction(fromFrozen(), 'lock.lost')[0],
    );
    expect(lost).toMatchObject({ correlation_id: task.correlationId, 'lock.fencing_token': 1 });
    // Its computation was abandoned, so it never reached the store: once it has stopped (a
    // graceful stop lets a job in hand finish), it would have logged a write by now.
    frozen.signal('SIGTERM');
    await frozen.exited;
    expect(withAction(fromFrozen(), 'result.write_rejected')).toHaveLength(0);
    expect(withAction(fromFrozen(), 'result.written')).toHaveLength(0);
    const stored = await readStoredResult(bed.client, `calculate_var:portfolio:${portfolio}`);
    expect(stored).toMatchObject({ fence: 2, writes: 1 });
  });

  it('a skip-policy job redelivered after kill -9 takes over the lock of its own earlier attempt and computes', async () => {
    const workers = [await bed.harness.spawnWorker('worker-1'), await bed.harness.spawnWorker('worker-2')];
    const data = { spot: 100, strike: 105, volatility: 0.25, maturity: 1, simulations: 5000, seed: Date.now() % 1e9 };
    const task = await bed.producer.enqueue(
      'monte_carlo_pricing',
      { ...data, fault: { sleep_ms: 2500 } },
      { priority: 'high' },
    );
    const victim = await holderOf(workers, task.taskId);
    victim.signal('SIGKILL');
    const job = await completed(task.taskId);
    expect(job.returnvalue).toMatchObject({ status: 'computed', fencing_token: 2 });
    const lines = taskLines(bed.harness.lines(), task.taskId);
    expect(withAction(lines, 'task.started')).toHaveLength(2);
    // Its own earlier attempt's lock is taken over, not reported as a blocked duplicate.
    expect(withAction(lines, 'lock.contended')).toHaveLength(0);
  });
});
