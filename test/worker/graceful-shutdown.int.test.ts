import { describe, expect, it } from 'vitest';
import { startRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';
import {
  createHarness,
  createProducer,
  type LogLine,
  lineOf,
  varData,
  withAction,
  workerTestbed,
} from './worker-harness.ts';

const bed = workerTestbed({ harnessPerTest: true });

const of = (lines: LogLine[], instance: string) =>
  lines
    .filter((l) => l['service.instance'] === instance)
    .sort((a, b) => Number(a['event.sequence']) - Number(b['event.sequence']));

describe('SIGTERM', () => {
  it('stops taking jobs, lets the running one finish, then exits 0', async () => {
    const worker = await bed.harness.spawnWorker('worker-1', { DTQ_SHUTDOWN_GRACE_MS: '20000' });
    const running = await bed.producer.enqueue(
      'calculate_var',
      varData(`term-${Date.now()}`, { fault: { sleep_ms: 1500 } }),
    );
    await waitFor('the job to hold its lock', () =>
      withAction(bed.harness.lines(), 'lock.acquired').some((l) => l.task_id === running.taskId),
    );
    worker.signal('SIGTERM');
    await waitFor('service.stopping', () => withAction(bed.harness.lines(), 'service.stopping').length > 0);
    const late = await bed.producer.enqueue('calculate_var', varData(`late-${Date.now()}`));
    expect(await worker.exited).toBe(0);

    const actions = of(bed.harness.lines(), 'worker-1').map(
      (l) => `${l['event.action']}${l.task_id === running.taskId ? '*' : ''}`,
    );
    const stopping = actions.indexOf('service.stopping');
    expect(stopping).toBeGreaterThan(-1);
    expect(actions.indexOf('task.completed*')).toBeGreaterThan(stopping);
    expect(actions.at(-1)).toBe('service.stopped');
    expect(await (await bed.producer.queue('medium').getJob(running.taskId))?.getState()).toBe('completed');
    expect(await (await bed.producer.queue('medium').getJob(late.taskId))?.getState()).toBe('waiting');
  });

  it('hands a job that outlives the grace period back to the queue, without spending an attempt', async () => {
    const worker = await bed.harness.spawnWorker('worker-1', { DTQ_SHUTDOWN_GRACE_MS: '300' });
    const task = await bed.producer.enqueue(
      'calculate_var',
      varData(`handback-${Date.now()}`, { fault: { sleep_ms: 2500 } }),
    );
    await waitFor('the job to hold its lock', () =>
      withAction(bed.harness.lines(), 'lock.acquired').some((l) => l.task_id === task.taskId),
    );
    worker.signal('SIGTERM');
    expect(await worker.exited).toBe(0);
    const job = await bed.producer.queue('medium').getJob(task.taskId);
    expect(await job?.getState()).toBe('waiting');
    expect(job?.attemptsMade).toBe(0);
    expect(withAction(bed.harness.lines(), 'task.failed').filter((l) => l.task_id === task.taskId)).toHaveLength(0);

    await bed.harness.spawnWorker('worker-2');
    await bed.producer.finished('medium', task.taskId, ['completed']);
    await lineOf(bed.harness, task.taskId, 'task.completed');
    const completed = withAction(bed.harness.lines(), 'task.completed').filter((l) => l.task_id === task.taskId);
    expect(completed.map((l) => l['service.instance'])).toEqual(['worker-2']);
    expect(completed[0]?.correlation_id).toBe(task.correlationId);
  });

  it('ends the process soon after the grace period even when Redis dies at the same moment', async () => {
    // A Redis of its own: this test takes it away for good.
    const doomed = await startRedis();
    const doomedProducer = createProducer(doomed.url);
    const harness = createHarness(doomed.url);
    try {
      const grace = 1000;
      const worker = await harness.spawnWorker('worker-1', { DTQ_SHUTDOWN_GRACE_MS: String(grace) });
      const task = await doomedProducer.enqueue(
        'calculate_var',
        varData(`orphan-${Date.now()}`, { fault: { sleep_ms: 60_000 } }),
      );
      await waitFor('the job to hold its lock', () =>
        withAction(harness.lines(), 'lock.acquired').some((l) => l.task_id === task.taskId),
      );
      await doomedProducer.close();
      await doomed.stop({ hard: true });
      worker.signal('SIGTERM');
      // Before the fix the process never exited: BullMQ's close waited on a Redis that was gone.
      // The bound is grace + hand-back time + generous slack for a loaded machine.
      const code = await Promise.race([
        worker.exited,
        new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), grace + 20_000)),
      ]);
      // Exit code 1: stopped, but the running job could not be handed back.
      expect(code).toBe(1);
      const lines = of(harness.lines(), 'worker-1');
      expect(lines.map((l) => l['event.action'])).toContain('service.stopping');
      expect(lines.at(-1)).toMatchObject({ 'event.action': 'service.stopped', 'log.level': 'warn' });
    } finally {
      await harness.cleanup();
      await doomed.close();
    }
  });
});
